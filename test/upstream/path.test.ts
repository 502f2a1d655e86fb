import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/upstream/errors.ts';
import { pathTemplate, webhookPath } from '../../src/upstream/path.ts';
import { ID } from './helpers.ts';

describe('webhookPath', () => {
  it('builds the webhook and secret paths', () => {
    expect(webhookPath(ID)).toBe(`/v2/webhooks/${ID}`);
    expect(webhookPath(ID, 'secret')).toBe(`/v2/webhooks/${ID}/secret`);
    expect(webhookPath('507F1F77BCF86CD799439011')).toBe('/v2/webhooks/507F1F77BCF86CD799439011');
  });

  // Catalogue G15: nothing but 24 hex characters ever becomes part of a path.
  const bad = [
    '../../v2/admin',
    '%2e%2e%2f',
    `${ID}/secret`,
    `${ID}?x=1`,
    `${ID}#`,
    '#',
    '',
    '５０７f1f77bcf86cd799439011',
    `${ID.slice(0, 23)}g`,
    `${ID}0`,
    ID.slice(1),
    ` ${ID}`,
    'x'.repeat(1_000_000),
  ];
  it.each(bad.map((id) => [id.slice(0, 40), id]))('refuses %j', (_label, id) => {
    let thrown: unknown;
    try {
      webhookPath(id);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    const error = thrown as InvalidArgumentError;
    expect(error.param).toBe('id');
    expect(error.message).toBe('A webhook id is 24 hexadecimal characters.');
    if (id.length > 2) expect(error.message).not.toContain(id);
  });

  it('refuses a value that is not a string at all', () => {
    expect(() => webhookPath(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});

describe('pathTemplate', () => {
  it('replaces ids and drops the query', () => {
    expect(pathTemplate(`/v2/webhooks/${ID}`)).toBe('/v2/webhooks/:id');
    expect(pathTemplate(`/v2/webhooks/${ID}/secret`)).toBe('/v2/webhooks/:id/secret');
    expect(pathTemplate('/v2/webhooks?cursor=abc')).toBe('/v2/webhooks');
    expect(pathTemplate('/base/v2/webhooks')).toBe('/base/v2/webhooks');
  });
});
