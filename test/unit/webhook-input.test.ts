import { describe, expect, it } from 'vitest';
import { BadUserInputError } from '../../src/webhooks/errors.ts';
import {
  type CreateWebhookInput,
  type HeaderInput,
  toCreateParams,
  toUpdateParams,
  type UpdateWebhookInput,
} from '../../src/webhooks/input.ts';
import { compareFastest } from '../support/timing.ts';

/** Put into every refused value, so a test can tell the value was not echoed. */
const SENTINEL = 'SENTINEL7c1e';

const base: CreateWebhookInput = {
  name: 'Orders',
  url: 'https://hooks.example.com/featurebase',
  topics: ['post.created'],
};

function createWith(change: Partial<CreateWebhookInput>) {
  return () => toCreateParams({ ...base, ...change });
}

function withHeaders(headers: readonly HeaderInput[]) {
  return () => toCreateParams({ ...base, requestConfig: { headers } });
}

/** The BadUserInputError `run` throws (fails the test when it throws nothing or something else). */
function refusal(run: () => unknown): BadUserInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof BadUserInputError) return error;
    throw error;
  }
  throw new Error('expected a BadUserInputError, nothing was thrown');
}

function header(name: string, value = 'v'): HeaderInput {
  return { name, value };
}

const tenHeaders = Array.from({ length: 10 }, (_, index) => header(`X-H${index}`, `${index}`));

describe('toCreateParams', () => {
  it('converts every field to the wire params', () => {
    const params = toCreateParams({
      name: 'Orders',
      url: 'https://hooks.example.com/featurebase?team=ops',
      topics: ['post.created', 'audit_log.created', 'post.created'],
      description: 'To the warehouse',
      requestConfig: {
        timeoutMs: 8000,
        headers: [header('X-Team', 'ops'), header('Authorization', 'Bearer abc')],
      },
    });
    expect(params).toEqual({
      name: 'Orders',
      url: 'https://hooks.example.com/featurebase?team=ops',
      topics: ['post.created', 'audit_log.created'],
      description: 'To the warehouse',
      requestConfig: { timeoutMs: 8000, headers: { 'X-Team': 'ops', Authorization: 'Bearer abc' } },
    });
  });

  it('leaves out what was not given, null or empty', () => {
    expect(toCreateParams({ ...base, description: null, requestConfig: null })).toEqual({
      name: 'Orders',
      url: base.url,
      topics: ['post.created'],
    });
    const params = toCreateParams({ ...base, requestConfig: { timeoutMs: null, headers: null } });
    expect(params).not.toHaveProperty('requestConfig');
    expect(params).not.toHaveProperty('description');
  });

  it('sends the URL in the normalised form it was checked in', () => {
    const cases: [raw: string, sent: string][] = [
      ['HTTPS://Hooks.Example.COM/Path', 'https://hooks.example.com/Path'],
      ['https://example.com', 'https://example.com/'],
      ['https://example.com:443/a', 'https://example.com/a'],
      ['https://例え.jp/hook', 'https://xn--r8jz45g.jp/hook'],
      ['https://134744072/', 'https://8.8.8.8/'],
    ];
    for (const [raw, sent] of cases) expect(toCreateParams({ ...base, url: raw }).url).toBe(sent);
  });

  it('keeps the name as given (trimmed only to test for blankness)', () => {
    expect(toCreateParams({ ...base, name: ' Orders ' }).name).toBe(' Orders ');
  });

  it('accepts a 100-character name and a 500-character description', () => {
    const params = toCreateParams({ ...base, name: 'n'.repeat(100), description: 'd'.repeat(500) });
    expect(params.name).toHaveLength(100);
    expect(params.description).toHaveLength(500);
  });

  it.each([
    ['an empty name', { name: '' }, 'input.name'],
    ['a blank name', { name: ' \t\n ' }, 'input.name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'input.name'],
    ['a 501-character description', { description: 'd'.repeat(501) }, 'input.description'],
    ['a 10,000-character description', { description: 'd'.repeat(10_000) }, 'input.description'],
    ['no topics', { topics: [] }, 'input.topics'],
    ['an unknown topic', { topics: ['post.created', 'nope'] }, 'input.topics'],
    [
      'a timeout under 1000',
      { requestConfig: { timeoutMs: 999 } },
      'input.requestConfig.timeoutMs',
    ],
    [
      'a fractional timeout',
      { requestConfig: { timeoutMs: 1000.5 } },
      'input.requestConfig.timeoutMs',
    ],
    [
      'a timeout over 30000',
      { requestConfig: { timeoutMs: 30001 } },
      'input.requestConfig.timeoutMs',
    ],
  ])('refuses %s, naming %s', (_, change, field) => {
    const error = refusal(createWith(change));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field} `)).toBe(true);
  });

  it('refuses a 1 MB name without echoing it, and no dearer than a name just over the limit', async () => {
    const name = `${SENTINEL}${'n'.repeat(1_000_000)}`;
    const error = refusal(createWith({ name }));
    expect(error.field).toBe('input.name');
    expect(error.message).not.toContain(SENTINEL);
    expect(error.message.length).toBeLessThan(200);
    // Refused on its length alone, the cost does not depend on it; trimming or scanning 1 MB
    // would cost hundreds of times the 101 characters. Fastest of 15 batches of 200 calls each,
    // alternating (test/support/timing.ts), so the machine's load cancels out.
    const justOver = createWith({ name: 'n'.repeat(101) });
    expect(refusal(justOver).field).toBe('input.name');
    const cost = await compareFastest(
      () => refusal(createWith({ name })),
      () => refusal(justOver),
      { rounds: 15, repeat: 200 },
    );
    expect(cost.ratio, cost.note).toBeLessThan(5);
  });

  it('refuses a 1 MB description without echoing it', () => {
    const error = refusal(createWith({ description: `${SENTINEL}${'d'.repeat(1_000_000)}` }));
    expect(error.field).toBe('input.description');
    expect(error.message).not.toContain(SENTINEL);
  });
});

describe('the url, as the gateway refuses it', () => {
  it.each([
    ['http', `http://example.com/${SENTINEL}`, /must use https/],
    ['javascript:', `javascript:alert('${SENTINEL}')`, /must use https/],
    ['file:', `file:///etc/${SENTINEL}`, /must use https/],
    ['credentials', `https://user:${SENTINEL}@example.com/`, /user name or password/],
    ['CRLF', `https://example.com/${SENTINEL}\r\nHost: x`, /control characters/],
    ['a backslash', `https://example.com\\${SENTINEL}`, /backslashes/],
    ['2049 characters', `https://example.com/${SENTINEL}${'a'.repeat(2048)}`, /at most 2048/],
    ['not a URL', `${SENTINEL} please`, /control characters/],
    ['a relative URL', `/hooks/${SENTINEL}`, /absolute URL/],
    ['loopback', `https://127.0.0.1/${SENTINEL}`, /non-public IP address/],
    ['metadata', `https://169.254.169.254/latest/meta-data/?${SENTINEL}`, /non-public IP/],
    ['IPv6 loopback', `https://[::1]/${SENTINEL}`, /non-public IP address/],
    ['mapped loopback', `https://[::ffff:127.0.0.1]/${SENTINEL}`, /non-public IP address/],
    ['hex loopback', `https://0x7f000001/${SENTINEL}`, /non-public IP address/],
    ['decimal loopback', `https://2130706433/${SENTINEL}`, /non-public IP address/],
    ['10/8 with a token', `https://10.0.0.1/hook?token=${SENTINEL}`, /non-public IP address/],
    ['localhost', `https://localhost/${SENTINEL}`, /public host/],
    ['a single label', `https://intranet/${SENTINEL}`, /public host/],
    ['.internal', `https://metadata.google.internal/${SENTINEL}`, /public host/],
    ['a trailing dot', `https://example.com./${SENTINEL}`, /plain DNS host name/],
  ])('refuses %s on create and update, without echoing it', (_, url, why) => {
    const created = refusal(createWith({ url }));
    expect(created.code).toBe('BAD_USER_INPUT');
    expect(created.field).toBe('input.url');
    expect(created.message.startsWith('input.url ')).toBe(true);
    expect(created.message).toMatch(why);
    expect(created.message).not.toContain(SENTINEL);

    const updated = refusal(() => toUpdateParams({ url }));
    expect(updated.field).toBe('input.url');
    expect(updated.message).toBe(created.message);
  });

  it('gives a different message for each kind of refusal', () => {
    const urls = [
      'https://example.com/a b',
      `https://example.com/${'a'.repeat(2048)}`,
      'https:example.com',
      'http://example.com/',
      'https://u@example.com/',
      'https://a..b.com/',
      'https://localhost/',
      'https://127.0.0.1/',
    ];
    const messages = new Set(urls.map((url) => refusal(createWith({ url })).message));
    expect(messages.size).toBe(urls.length);
  });
});

describe('requestConfig.headers', () => {
  const field = 'input.requestConfig.headers';

  it('accepts 10 headers, token names, tabs, Latin-1, empty values and the longest lengths', () => {
    const headers = [
      ...tenHeaders.slice(0, 5),
      header("X-Odd!#$%&'*+.^_`|~", 'a\tb'),
      header('Authorization', 'Bearer abc'),
      header('X-Accent', 'caf\u00e9 \u00ff'),
      header('X-Empty', ''),
      header(`X-${'n'.repeat(254)}`, 'v'.repeat(1024)),
    ];
    expect(headers).toHaveLength(10);
    const map = toCreateParams({ ...base, requestConfig: { headers } }).requestConfig?.headers;
    expect(map && Object.entries(map)).toEqual(headers.map(({ name, value }) => [name, value]));
  });

  it('refuses 11 headers', () => {
    const error = refusal(withHeaders([...tenHeaders, header('X-Eleventh')]));
    expect(error.field).toBe(field);
    expect(error.message).toContain('at most 10 headers');
  });

  it.each([
    ['empty', ''],
    ['with CRLF (header splitting)', `X-A\r\n${SENTINEL}: 1`],
    ['with LF', `X-A\n${SENTINEL}`],
    ['with NUL', `X-A\u0000${SENTINEL}`],
    ['with a space', `X ${SENTINEL}`],
    ['with a colon', `X:${SENTINEL}`],
    ['a pseudo-header', `:authority${SENTINEL}`],
    ['with a slash', `X/${SENTINEL}`],
    ['with parentheses', `X(${SENTINEL})`],
    ['non-ASCII', `X-\u00e9${SENTINEL}`],
    ['257 characters', `X-${SENTINEL}${'n'.repeat(257)}`],
  ])('refuses a name %s', (_, name) => {
    const error = refusal(withHeaders([header('X-Ok'), header(name)]));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.field).toBe(`${field}[1].name`);
    expect(error.message).toContain(`${field}[1].name`);
    expect(error.message).toContain('HTTP header name');
    expect(error.message).not.toContain(SENTINEL);
  });

  it.each([
    'Host',
    'HOST',
    'host',
    'Content-Length',
    'content-type',
    'Transfer-Encoding',
    'Connection',
    'Keep-Alive',
    'TE',
    'Trailer',
    'Upgrade',
    'Expect',
    'Proxy-Authorization',
    'proxy-connection',
    'Proxy-Authenticate',
    'X-Webhook-Signature',
    'x-webhook-timestamp',
    'X-WEBHOOK-SIGNATURE',
  ])('refuses the reserved name %s, whatever its case', (name) => {
    const error = refusal(withHeaders([header(name, SENTINEL)]));
    expect(error.field).toBe(`${field}[0].name`);
    expect(error.message).toContain('Featurebase sets itself');
    expect(error.message).not.toContain(SENTINEL);
  });

  it.each(['Hostname', 'X-Host', 'Content-Language', 'Tea', 'X-Proxy-Id', 'X-Webhook-Source'])(
    'accepts %s, which only resembles a reserved name',
    (name) => {
      expect(toCreateParams({ ...base, requestConfig: { headers: [header(name)] } })).toMatchObject(
        {
          requestConfig: { headers: { [name]: 'v' } },
        },
      );
    },
  );

  it('refuses the same name twice, whatever its case', () => {
    const error = refusal(withHeaders([header('X-A', '1'), header('X-B'), header('x-a', '2')]));
    expect(error.field).toBe(`${field}[2].name`);
    expect(error.message).toContain('same header');
  });

  it.each([
    ['CRLF', `a\r\n${SENTINEL}: c`],
    ['CR', `a\r${SENTINEL}`],
    ['LF', `a\n${SENTINEL}`],
    ['NUL', `a\u0000${SENTINEL}`],
    ['another C0 control', `a\u0001${SENTINEL}`],
    ['escape', `a\u001b[31m${SENTINEL}`],
    ['DEL', `a\u007f${SENTINEL}`],
    ['a C1 control (NEL)', `a\u0085${SENTINEL}`],
    ['a line separator', `a\u2028${SENTINEL}`],
    ['a character above Latin-1', `\u20ac${SENTINEL}`],
    ['an emoji', `\u{1f600}${SENTINEL}`],
    ['1025 characters', `${SENTINEL}${'v'.repeat(1025)}`],
    ['100 KB', `${SENTINEL}${'v'.repeat(100_000)}`],
  ])('refuses a value with %s, without echoing it', (_, value) => {
    const error = refusal(withHeaders([header('X-A'), header('X-B'), header('X-Token', value)]));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.field).toBe(`${field}[2].value`);
    expect(error.message).toContain(`${field}[2].value`);
    expect(error.message).toContain('at most 1024 characters');
    expect(error.message).not.toContain(SENTINEL);
    expect(error.message).not.toContain('X-Token');
  });

  it('keeps names such as __proto__ and constructor as plain data', () => {
    const params = toCreateParams({
      ...base,
      requestConfig: {
        headers: [
          header('__proto__', 'p'),
          header('constructor', 'c'),
          header('toString', 't'),
          header('hasOwnProperty', 'h'),
        ],
      },
    });
    const map = params.requestConfig?.headers ?? {};
    expect(Object.getPrototypeOf(map)).toBeNull();
    expect(Object.keys(map)).toEqual(['__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toBe('p');
    expect(Object.getOwnPropertyDescriptor(map, 'constructor')?.value).toBe('c');
    // What goes on the wire keeps every one of them.
    expect(JSON.stringify(map)).toBe(
      '{"__proto__":"p","constructor":"c","toString":"t","hasOwnProperty":"h"}',
    );
    expect(({} as Record<string, unknown>)['p']).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });
});

describe('toUpdateParams', () => {
  it('sends only the fields given', () => {
    expect(toUpdateParams({ name: 'Renamed' })).toEqual({ name: 'Renamed' });
    expect(toUpdateParams({ url: 'https://New.Example.com', status: 'paused' })).toEqual({
      url: 'https://new.example.com/',
      status: 'paused',
    });
  });

  it('converts every field', () => {
    const input: UpdateWebhookInput = {
      name: 'N',
      url: 'https://example.com/h',
      description: 'D',
      topics: ['ticket.created', 'ticket.created', 'post.voted'],
      status: 'active',
      requestConfig: { timeoutMs: 30000, headers: [header('X-A', '1')] },
    };
    expect(toUpdateParams(input)).toEqual({
      name: 'N',
      url: 'https://example.com/h',
      description: 'D',
      topics: ['ticket.created', 'post.voted'],
      status: 'active',
      requestConfig: { timeoutMs: 30000, headers: { 'X-A': '1' } },
    });
  });

  it('sends description: null to clear it, and an empty header list to clear the headers', () => {
    expect(toUpdateParams({ description: null })).toEqual({ description: null });
    expect(toUpdateParams({ requestConfig: { headers: [] } })).toEqual({
      requestConfig: { headers: {} },
    });
  });

  it.each([
    ['no field at all', {}, 'input'],
    ['only absent fields', { name: undefined, url: undefined }, 'input'],
    ['an empty requestConfig alone', { requestConfig: {} }, 'input'],
    ['name: null', { name: null }, 'input.name'],
    ['url: null', { url: null }, 'input.url'],
    ['topics: null', { topics: null }, 'input.topics'],
    ['status: null', { status: null }, 'input.status'],
    ['requestConfig: null', { requestConfig: null }, 'input.requestConfig'],
    ['status suspended', { status: 'suspended' }, 'input.status'],
    ['a blank name', { name: '  ' }, 'input.name'],
    ['a 501-character description', { description: 'd'.repeat(501) }, 'input.description'],
    ['an inside url', { url: 'https://192.168.0.1/' }, 'input.url'],
    [
      'a reserved header',
      { requestConfig: { headers: [header('Transfer-Encoding', 'chunked')] } },
      'input.requestConfig.headers[0].name',
    ],
    [
      '11 headers',
      { requestConfig: { headers: [...tenHeaders, header('X-11')] } },
      'input.requestConfig.headers',
    ],
  ])('refuses %s', (_, input: UpdateWebhookInput, field) => {
    const error = refusal(() => toUpdateParams(input));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.field).toBe(field);
  });
});
