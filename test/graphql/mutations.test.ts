import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateWebhookDocument,
  DeleteWebhookDocument,
  GetWebhookDocument,
  RotateWebhookSecretDocument,
  UpdateWebhookDocument,
} from '../../schema/generated/operations.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, errorCodes, startTestGateway } from '../support/gateway.ts';

const harness = await startTestGateway();
afterAll(() => harness.close());
beforeEach(() => harness.simulator.reset());

const [firstId, secondId] = SEED_WEBHOOK_IDS as [string, string];
const upstreamCalls = () => harness.simulator.countRequests();

const validInput = {
  name: 'Orders',
  url: 'https://hooks.example.com/featurebase',
  topics: ['POST_CREATED', 'CONVERSATION_PART_REDACTED', 'AUDIT_LOG_CREATED'] as const,
};

describe('createWebhook → refreshWebhookSecret → webhook', () => {
  it('creates, rotates, and afterwards only the new secret exists', async () => {
    const created = await harness.graphql(CreateWebhookDocument, {
      input: {
        ...validInput,
        topics: [...validInput.topics],
        description: 'Orders to the warehouse',
        requestConfig: { timeoutMs: 8000, headers: [{ name: 'X-Team', value: 'ops' }] },
      },
    });
    expect(created.body.errors).toBeUndefined();
    const webhook = created.body.data?.createWebhook;
    if (!webhook) throw new Error('not created');
    expect(webhook).toMatchObject({
      name: 'Orders',
      url: validInput.url,
      description: 'Orders to the warehouse',
      topics: ['POST_CREATED', 'CONVERSATION_PART_REDACTED', 'AUDIT_LOG_CREATED'],
      status: 'ACTIVE',
      requestConfig: { timeoutMs: 8000, headers: [{ name: 'X-Team', value: 'ops' }] },
      lastStatus: null,
    });
    expect(webhook.id).toMatch(/^[0-9a-f]{24}$/);
    expect(webhook.secret).toMatch(/^whsec_/);
    const createBody = harness.simulator.requests.at(-1)?.body;
    expect(createBody).toEqual({
      name: 'Orders',
      url: validInput.url,
      topics: ['post.created', 'conversation_part.redacted', 'audit_log.created'],
      description: 'Orders to the warehouse',
      requestConfig: { timeoutMs: 8000, headers: { 'X-Team': 'ops' } },
    });

    const rotated = await harness.graphql(RotateWebhookSecretDocument, { id: webhook.id });
    expect(rotated.body.errors).toBeUndefined();
    const newSecret = rotated.body.data?.refreshWebhookSecret.secret;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(webhook.secret);
    expect(harness.simulator.peekWebhook(API_KEY, webhook.id)?.secret).toBe(newSecret);

    const read = await harness.graphql(GetWebhookDocument, { id: webhook.id });
    expect(read.body.data?.webhook?.secret).toBe(newSecret);
    expect(read.text).not.toContain(webhook.secret);
    expect(
      harness.simulator.countRequests({
        method: 'POST',
        path: `/v2/webhooks/${webhook.id}/secret`,
      }),
    ).toBe(1);
  });

  it('sends the rotation once, with no body, even for an upper-case id', async () => {
    const response = await harness.graphql(RotateWebhookSecretDocument, {
      id: firstId.toUpperCase(),
    });
    expect(response.body.errors).toBeUndefined();
    const requests = harness.simulator.requests;
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', path: `/v2/webhooks/${firstId}/secret` });
    expect(requests[0]?.headers['content-length'] ?? '0').toBe('0');
  });

  it('answers NOT_FOUND for the rotation of a webhook that does not exist', async () => {
    const response = await harness.graphql(RotateWebhookSecretDocument, { id: 'b'.repeat(24) });
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(response.body.errors?.[0]?.extensions?.['upstream']).toEqual({
      status: 404,
      type: 'invalid_request_error',
      code: 'resource_not_found',
      param: 'id',
    });
    expect(response.body.data).toBeNull();
    expect(upstreamCalls()).toBe(1);
  });
});

describe('createWebhook input checks (no upstream call)', () => {
  it.each([
    ['an http url', { url: 'http://example.com/hook' }, 'input.url'],
    ['a url with credentials', { url: 'https://user:pass@example.com/' }, 'input.url'],
    ['a javascript: url', { url: 'javascript:alert(1)' }, 'input.url'],
    ['a url with CRLF', { url: 'https://example.com/\r\nHost: x' }, 'input.url'],
    ['a url over 2048 characters', { url: `https://example.com/${'a'.repeat(2048)}` }, 'input.url'],
    ['a blank name', { name: '   ' }, 'input.name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'input.name'],
    ['a 501-character description', { description: 'd'.repeat(501) }, 'input.description'],
    ['no topics', { topics: [] }, 'input.topics'],
    ['the UNKNOWN topic', { topics: ['UNKNOWN'] }, 'input.topics'],
    [
      'a timeout under 1000',
      { requestConfig: { timeoutMs: 999 } },
      'input.requestConfig.timeoutMs',
    ],
    [
      'a timeout over 30000',
      { requestConfig: { timeoutMs: 30001 } },
      'input.requestConfig.timeoutMs',
    ],
    [
      '11 headers',
      {
        requestConfig: {
          headers: Array.from({ length: 11 }, (_, i) => ({ name: `X-${i}`, value: 'v' })),
        },
      },
      'input.requestConfig.headers',
    ],
    [
      'a header name with CRLF',
      { requestConfig: { headers: [{ name: 'X-A\r\nB', value: 'v' }] } },
      'input.requestConfig.headers',
    ],
    [
      'a header value with CRLF',
      { requestConfig: { headers: [{ name: 'X-A', value: 'a\r\nB: c' }] } },
      'input.requestConfig.headers',
    ],
    [
      'a header value with NUL',
      { requestConfig: { headers: [{ name: 'X-A', value: 'a\u0000' }] } },
      'input.requestConfig.headers',
    ],
    [
      'a header named twice',
      {
        requestConfig: {
          headers: [
            { name: 'X-A', value: '1' },
            { name: 'x-a', value: '2' },
          ],
        },
      },
      'input.requestConfig.headers',
    ],
  ])('refuses %s', async (_, change, field) => {
    const response = await harness.graphql(CreateWebhookDocument, {
      input: { ...validInput, topics: [...validInput.topics], ...change } as never,
    });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain(field);
    expect(response.text).not.toContain('user:pass');
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses an unknown topic name during validation', async () => {
    const response = await harness.graphql(
      `mutation { createWebhook(input: { name: "x", url: "https://e.com", topics: [NOT_A_TOPIC] }) { id } }`,
    );
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(upstreamCalls()).toBe(0);
  });

  it('passes on Featurebase refusing the 11th webhook as BAD_USER_INPUT with its code', async () => {
    for (let index = 0; index < 6; index += 1) {
      const response = await harness.graphql(CreateWebhookDocument, {
        input: { ...validInput, topics: [...validInput.topics], name: `Hook ${index}` },
      });
      expect(response.body.errors).toBeUndefined();
    }
    const response = await harness.graphql(CreateWebhookDocument, {
      input: { ...validInput, topics: [...validInput.topics], name: 'One too many' },
    });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.extensions?.['upstream']).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
    });
    expect(harness.simulator.countRequests({ method: 'POST', path: '/v2/webhooks' })).toBe(7);
  });
});

describe('updateWebhook', () => {
  it('sends only the fields given, and null clears the description', async () => {
    const response = await harness.graphql(UpdateWebhookDocument, {
      id: firstId,
      input: { name: 'Renamed', description: null, status: 'PAUSED' },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.updateWebhook).toMatchObject({
      id: firstId,
      name: 'Renamed',
      description: null,
      status: 'PAUSED',
      url: 'https://example.com/webhooks',
      topics: ['POST_CREATED', 'POST_UPDATED'],
    });
    const request = harness.simulator.requests.at(-1);
    expect(request).toMatchObject({ method: 'PATCH', path: `/v2/webhooks/${firstId}` });
    expect(request?.body).toEqual({ name: 'Renamed', description: null, status: 'paused' });
  });

  it('replaces topics and headers', async () => {
    const response = await harness.graphql(UpdateWebhookDocument, {
      id: firstId,
      input: { topics: ['TICKET_CREATED'], requestConfig: { headers: [] } },
    });
    expect(response.body.data?.updateWebhook).toMatchObject({
      topics: ['TICKET_CREATED'],
      requestConfig: { headers: [] },
    });
    expect(harness.simulator.requests.at(-1)?.body).toEqual({
      topics: ['ticket.created'],
      requestConfig: { headers: {} },
    });
  });

  it('reactivates a suspended webhook', async () => {
    const suspendedId = SEED_WEBHOOK_IDS[3] ?? '';
    const response = await harness.graphql(UpdateWebhookDocument, {
      id: suspendedId,
      input: { status: 'ACTIVE' },
    });
    expect(response.body.data?.updateWebhook).toMatchObject({
      status: 'ACTIVE',
      health: { consecutiveFailures: 0, errorsSinceLastSuccess: 0 },
    });
  });

  it.each([
    ['no field at all', {}, 'at least one field'],
    ['name: null', { name: null }, 'input.name cannot be null'],
    ['url: null', { url: null }, 'input.url cannot be null'],
    ['topics: null', { topics: null }, 'input.topics cannot be null'],
  ])('refuses %s without calling Featurebase', async (_, input, message) => {
    const response = await harness.graphql(UpdateWebhookDocument, { id: firstId, input });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain(message);
    expect(upstreamCalls()).toBe(0);
  });

  it('does not offer SUSPENDED as a status a client may set', async () => {
    const response = await harness.graphql(
      `mutation { updateWebhook(id: "${firstId}", input: { status: SUSPENDED }) { id } }`,
    );
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(upstreamCalls()).toBe(0);
  });

  it('answers NOT_FOUND for a webhook that does not exist', async () => {
    const response = await harness.graphql(UpdateWebhookDocument, {
      id: 'c'.repeat(24),
      input: { name: 'x' },
    });
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
  });
});

describe('deleteWebhook', () => {
  it('deletes for good; the webhook then reads as null', async () => {
    const response = await harness.graphql(DeleteWebhookDocument, { id: secondId });
    expect(response.body).toEqual({ data: { deleteWebhook: { id: secondId, deleted: true } } });
    const read = await harness.graphql(GetWebhookDocument, { id: secondId });
    expect(read.body).toEqual({ data: { webhook: null } });
    expect(harness.simulator.peekWebhook(API_KEY, secondId)).toBeUndefined();
  });

  it('answers NOT_FOUND when there is nothing to delete', async () => {
    const response = await harness.graphql(DeleteWebhookDocument, { id: 'd'.repeat(24) });
    expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    expect(harness.simulator.countRequests({ method: 'DELETE' })).toBe(1);
  });

  it('refuses a bad id without calling Featurebase', async () => {
    const response = await harness.graphql(DeleteWebhookDocument, { id: `${firstId}/secret` });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(upstreamCalls()).toBe(0);
  });
});

describe('webhook url and header rules through GraphQL (no upstream call)', () => {
  it.each([
    // Catalogue G18, as written there.
    'https://127.0.0.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://localhost/',
    'https://0x7f000001/',
    'https://2130706433/',
    'https://10.0.0.1/',
    // And a few spellings and names more.
    'https://0177.0.0.1/',
    'https://127.1/',
    'https://[fd00:ec2::254]/',
    'https://metadata.google.internal/',
    'https://intranet/',
    'file:///etc/passwd',
  ])('refuses createWebhook and updateWebhook to %s', async (url) => {
    const created = await harness.graphql(CreateWebhookDocument, {
      input: { ...validInput, topics: [...validInput.topics], url },
    });
    expect(errorCodes(created)).toEqual(['BAD_USER_INPUT']);
    expect(created.body.errors?.[0]?.message).toContain('input.url');
    expect(created.text).not.toContain(url);

    const updated = await harness.graphql(UpdateWebhookDocument, { id: firstId, input: { url } });
    expect(errorCodes(updated)).toEqual(['BAD_USER_INPUT']);
    expect(updated.body.errors?.[0]?.message).toContain('input.url');
    expect(upstreamCalls()).toBe(0);
  });

  it.each([
    ['Host', 'evil.example'],
    ['Transfer-Encoding', 'chunked'],
    ['X-Webhook-Signature', 'forged'],
    ['Proxy-Authorization', 'Basic eA=='],
    // Just under the 64 KB bound on variables, so that it reaches the input checks.
    ['X-Big', `SENTINEL${'v'.repeat(60_000)}`],
  ])('refuses the header %s', async (name, value) => {
    const response = await harness.graphql(CreateWebhookDocument, {
      input: {
        ...validInput,
        topics: [...validInput.topics],
        requestConfig: { headers: [{ name, value }] },
      },
    });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(response.body.errors?.[0]?.message).toContain('input.requestConfig.headers[0]');
    expect(response.text).not.toContain(value.slice(0, 12));
    expect(upstreamCalls()).toBe(0);
  });

  it('sends the url in the normalised form that was checked', async () => {
    const response = await harness.graphql(CreateWebhookDocument, {
      input: { ...validInput, topics: [...validInput.topics], url: 'HTTPS://Hooks.Example.COM' },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.createWebhook.url).toBe('https://hooks.example.com/');
    expect(harness.simulator.requests.at(-1)?.body).toMatchObject({
      url: 'https://hooks.example.com/',
    });
  });

  it('sends a header named __proto__ as a plain header', async () => {
    const response = await harness.graphql(CreateWebhookDocument, {
      input: {
        ...validInput,
        topics: [...validInput.topics],
        requestConfig: { headers: [{ name: '__proto__', value: 'x' }] },
      },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.createWebhook.requestConfig.headers).toEqual([
      { name: '__proto__', value: 'x' },
    ]);
    const sent = harness.simulator.requests.at(-1)?.body as {
      requestConfig?: { headers?: Record<string, unknown> };
    };
    const headers = sent.requestConfig?.headers ?? {};
    expect(Object.keys(headers)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('x');
    expect(({} as { x?: unknown }).x).toBeUndefined();
  });
});
