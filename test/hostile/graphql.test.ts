/**
 * Bad input at the GraphQL level (reliability-catalogue §2.2, G01–G21 and G24; the federation
 * rows G22–G23 are in federation.test.ts), in process through `yoga.fetch`, over the real client
 * and the real simulator, whose request log counts upstream calls.
 *
 * Every row also asserts: the upstream calls (0 unless the row says otherwise), no sentinel key
 * or secret in any answer and no `whsec_` in an answer that did not select `secret` (checked as
 * each answer arrives, and over all answers and the logs at the end), and a healthy gateway
 * afterwards (`afterEach`).
 */

import { getIntrospectionQuery } from 'graphql';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Accept,
  codesOf,
  type Exchange,
  type GraphQLOptions,
  LEGACY,
  OTHER_IDS,
  SENTINEL_ID,
  SENTINEL_KEY,
  SENTINEL_SECRET,
  STRICT,
  startHostileGateway,
} from '../support/hostile.ts';
import { type Comparison, compareFastest } from '../support/timing.ts';

const hostile = await startHostileGateway();
afterAll(async () => {
  try {
    hostile.expectNoLeaks();
  } finally {
    await hostile.close();
  }
});
beforeEach(() => hostile.harness.simulator.reset());
afterEach(() => hostile.expectHealthy());

const calls = () => hostile.upstreamCalls();
const send = (query: string, variables?: unknown, options?: GraphQLOptions) =>
  hostile.graphql(query, variables, options);

/**
 * A request error ("400/200"): 400 with the GraphQL response media type, 200 with plain JSON,
 * and never any data. Returns both answers for the row's own checks.
 *
 * `legacyStatus`: Yoga answers some request errors 400 under plain JSON too (variable coercion,
 * operation resolution). design.md 1.4 says statuses follow Yoga's conventions, so where the
 * catalogue says 200 and Yoga 400, the row pins Yoga's and says so.
 */
async function requestError(
  query: string,
  variables?: unknown,
  options: GraphQLOptions = {},
  legacyStatus: 200 | 400 = 200,
): Promise<Exchange[]> {
  const answers: Exchange[] = [];
  for (const [accept, status] of [
    [STRICT, 400],
    [LEGACY, legacyStatus],
  ] as [Accept, number][]) {
    const answer = await send(query, variables, { ...options, accept });
    expect(answer.status, `status with Accept: ${accept}`).toBe(status);
    expect(answer.json?.data).toBeUndefined();
    expect(answer.json?.errors?.length).toBeGreaterThan(0);
    answers.push(answer);
  }
  return answers;
}

/** A document refused while validating: a request error with GRAPHQL_VALIDATION_FAILED. */
async function validationError(query: string, variables?: unknown): Promise<Exchange[]> {
  const answers = await requestError(query, variables);
  for (const answer of answers) {
    expect(new Set(codesOf(answer))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  }
  return answers;
}

/** An argument refused by a resolver: 200, the field null, BAD_USER_INPUT naming `message`. */
function expectBadUserInput(answer: Exchange, message: string | RegExp) {
  expect(answer.status).toBe(200);
  expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
  const [error] = answer.json?.errors ?? [];
  if (typeof message === 'string') expect(error?.message).toBe(message);
  else expect(error?.message).toMatch(message);
  // The caller's value is not echoed: an answer stays small whatever was sent.
  expect(answer.text.length, 'length of the answer').toBeLessThan(1000);
}

/**
 * Refused either way, as a row allows: by the resolver (BAD_USER_INPUT with `message`), or by a
 * document limit (then a proper request error: 400 and GRAPHQL_VALIDATION_FAILED).
 */
function expectRefused(answer: Exchange, message: string) {
  if (answer.json?.data === undefined) {
    expect(answer.status).toBe(400);
    expect(new Set(codesOf(answer))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
  } else {
    expectBadUserInput(answer, message);
  }
}

/**
 * What a hostile document may cost: at most COST_FACTOR times an ordinary request sent the same
 * way, in the same run (`compareFastest`: both timed alternately, the fastest of each kept, so
 * the machine's load cancels out). The cheapest of these rows cost 1-8 × their baseline; what
 * the bound is there for (a parse or validation that goes quadratic or exponential, a recursion
 * as deep as the document, a regular expression over the whole text) costs 25 × and far more.
 */
const COST_FACTOR = 20;

/**
 * The baseline of a refused document: `{ __typename }` with an unused variable as long as the
 * document, so the same bytes are read and the same JSON parsed, and nothing else is done.
 */
const trivialOfSize = (query: string) => () =>
  send('{ __typename }', { padding: ' '.repeat(query.length) });

/**
 * Times `query` against `baseline` (the first run of each pays for a cold JIT, which no attacker
 * controls, and is not timed), then sends it once more with the upstream log cleared: that answer
 * and its calls are what the row checks.
 */
async function costOf(
  query: string,
  baseline: () => Promise<unknown> = trivialOfSize(query),
): Promise<[Exchange, Comparison]> {
  const comparison = await compareFastest(() => send(query), baseline);
  hostile.harness.simulator.clearRequests();
  return [await send(query), comparison];
}

/** `n` aliases of `webhook(id: $id)`, a `$id: ID!` variable. */
function aliasedReads(n: number): string {
  const fields = Array.from({ length: n }, (_, index) => `a${index}: webhook(id: $id) { id }`);
  return `query ($id: ID!) { ${fields.join(' ')} }`;
}

/** One webhook read: one upstream call. */
const READ_ONE = `{ webhook(id: "${SENTINEL_ID}") { id name } }`;

const VALID_CREATE = {
  name: 'Hostile check',
  url: 'https://example.com/hooks',
  topics: ['POST_CREATED'],
};
const CREATE = 'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { id } }';
const UPDATE =
  'mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id } }';

describe('G01 syntax error', () => {
  it('G01 { webhook(id: → GRAPHQL_PARSE_FAILED, 400/200, no call', async () => {
    for (const answer of await requestError('{ webhook(id:')) {
      expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    }
    expect(calls()).toBe(0);
  });
});

describe('G02 token and size bombs', () => {
  it.each([
    ['5,000 __typename selections', `{ ${'__typename '.repeat(5000)}}`],
    ['50,000 commas', `{ __typename ${','.repeat(50_000)} }`],
    ['200 KB of whitespace', `{ __typename ${' '.repeat(200_000)} }`],
    ['200 KB of comments', `{ __typename ${'# a comment\n'.repeat(17_000)} }`],
  ])(
    'G02 %s: rejected by the token limit during the parse, at < 20 × the cost of a trivial query of its size, no call',
    async (_, query) => {
      const [answer, cost] = await costOf(query);
      expect(cost.ratio, cost.note).toBeLessThan(COST_FACTOR);
      expect(calls()).toBe(0);
      expect(answer.status).toBe(400);
      expect(codesOf(answer)).toEqual(['GRAPHQL_PARSE_FAILED']);
    },
  );

  it('G02 500 duplicated __typename (graphql-cop): within the 1000-token limit, answered once, at < 20 × the cost of a trivial query of its size, no call', async () => {
    // 502 tokens: the catalogue's own max-tokens value (1000) cannot refuse it. What matters is
    // that it costs nothing: one merged field, no upstream call, quickly.
    const [answer, cost] = await costOf(`{ ${'__typename '.repeat(500)}}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { __typename: 'Query' } });
    expect(cost.ratio, cost.note).toBeLessThan(COST_FACTOR);
    expect(calls()).toBe(0);
  });
});

describe('G03 too many aliases', () => {
  it('G03 100 aliases of webhook(id): refused before anything runs, 400/200, no call', async () => {
    // 1,200 tokens: the token limit (a parse error) fires before the alias limit would.
    for (const answer of await requestError(aliasedReads(100), { id: SENTINEL_ID })) {
      expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']).toContain(codesOf(answer)[0]);
    }
    expect(calls()).toBe(0);
  });

  it('G03 16 aliases (one over the alias limit, within the token limit): GRAPHQL_VALIDATION_FAILED, 400/200, no call', async () => {
    await validationError(aliasedReads(16), { id: SENTINEL_ID });
    expect(calls()).toBe(0);
  });
});

describe('G04 aliases within the limit', () => {
  it('G04 15 aliases of webhook(id: X): 200, one upstream call (DataLoader)', async () => {
    const answer = await send(aliasedReads(15), { id: SENTINEL_ID });
    expect(answer.status).toBe(200);
    expect(answer.json?.errors).toBeUndefined();
    const values = Object.values(answer.json?.data ?? {});
    expect(values).toHaveLength(15);
    expect(new Set(values.map((value) => JSON.stringify(value)))).toEqual(
      new Set([JSON.stringify({ id: SENTINEL_ID })]),
    );
    expect(hostile.harness.simulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v2/webhooks/${SENTINEL_ID}`,
    ]);
  });
});

describe('G05 aliased rotations of one webhook', () => {
  it('G05 five aliased refreshWebhookSecret(id: X): one POST, the same secret in every alias', async () => {
    const fields = ['a', 'b', 'c', 'd', 'e'].map(
      (alias) => `${alias}: refreshWebhookSecret(id: $id) { secret }`,
    );
    const answer = await send(`mutation ($id: ID!) { ${fields.join(' ')} }`, { id: SENTINEL_ID });
    expect(answer.json?.errors).toBeUndefined();
    const secrets = Object.values(answer.json?.data ?? {}).map(
      (field) => (field as { secret: string }).secret,
    );
    expect(secrets).toHaveLength(5);
    const held = hostile.heldSentinelSecret();
    expect(held).not.toBe(SENTINEL_SECRET);
    expect(new Set(secrets)).toEqual(new Set([held]));
    expect(hostile.upstreamCalls({ method: 'POST' })).toBe(1);
    expect(calls()).toBe(1);
  });
});

describe('G06 many mutations in one operation', () => {
  const creates = (n: number) => {
    const variables = Array.from({ length: n }, (_, index) => `$in${index}: CreateWebhookInput!`);
    const fields = Array.from(
      { length: n },
      (_, index) => `c${index}: createWebhook(input: $in${index}) { id }`,
    );
    const values = Object.fromEntries(
      Array.from({ length: n }, (_, index) => [
        `in${index}`,
        { ...VALID_CREATE, name: `Hook ${index}` },
      ]),
    );
    return [`mutation (${variables.join(', ')}) { ${fields.join(' ')} }`, values] as const;
  };

  it.each([10, 6])(
    'G06 %i different createWebhook fields: refused before any call (at most 5 mutations)',
    async (n) => {
      const [query, variables] = creates(n);
      for (const answer of await validationError(query, variables)) {
        expect(answer.json?.errors?.[0]?.message).toBe(
          'An operation may run at most 5 mutations; split it.',
        );
      }
      expect(calls()).toBe(0);
    },
  );

  it('G06 12 list reads in one query: at most 10 upstream calls, the rest refused with BAD_USER_INPUT', async () => {
    const fields = Array.from(
      { length: 12 },
      (_, index) => `w${index}: webhooks(first: ${index + 1}) { nodes { id } }`,
    );
    const answer = await send(`{ ${fields.join(' ')} }`);
    const refused = (answer.json?.errors ?? []).filter(
      (error) => error.extensions?.code === 'BAD_USER_INPUT',
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.message).toBe(
      'This operation needs more than 10 Featurebase calls; split it into smaller ones.',
    );
    // `webhooks` is non-null: the refused alias nulls the whole answer, and the other calls may
    // be cancelled with the request. Calls still in flight are counted once they land.
    expect(answer.json?.data).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls()).toBeLessThanOrEqual(10);
  });
});

describe('G07 deep nesting and cycles', () => {
  it.each([
    ['2,000 levels of nesting', `{${'a{'.repeat(2000)}a${'}'.repeat(2000)}}`],
    [
      '10,000 nested [ in an argument',
      `{ webhook(id: ${'['.repeat(10_000)}${']'.repeat(10_000)}) { id } }`,
    ],
    ['450 levels of nesting (within the token limit)', `{${'a{'.repeat(450)}a${'}'.repeat(450)}}`],
    [
      '450 nested [ (within the token limit)',
      `{ webhook(id: ${'['.repeat(450)}"x"${']'.repeat(450)}) { id } }`,
    ],
    [
      'a fragment cycle',
      '{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }',
    ],
  ])(
    'G07 %s: 400 (parse or validation), at < 20 × the cost of a trivial query of its size, no stack overflow, no call',
    async (_, query) => {
      const [answer, cost] = await costOf(query);
      expect(answer.status).toBe(400);
      expect(answer.json?.data).toBeUndefined();
      const codes = codesOf(answer);
      expect(codes.length).toBeGreaterThan(0);
      for (const code of codes)
        expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']).toContain(code);
      expect(answer.text).not.toMatch(/Maximum call stack/i);
      expect(cost.ratio, cost.note).toBeLessThan(COST_FACTOR);
      expect(calls()).toBe(0);
    },
  );
});

describe('G08 fragment fan-out ("billion laughs")', () => {
  /** F1 spreads F2 twice, …, the last spreads two `webhook` selections: 2^levels of them. */
  const laughs = (levels: number) => {
    const fragments = Array.from(
      { length: levels - 1 },
      (_, index) => `fragment F${index + 1} on Query { ...F${index + 2} ...F${index + 2} }`,
    );
    const leaf = `webhook(id: "${SENTINEL_ID}") { id name }`;
    return `query { ...F1 } ${fragments.join(' ')} fragment F${levels} on Query { ${leaf} ${leaf} }`;
  };

  it.each([10, 20])(
    'G08 %i levels: refused by a validation limit, or answered with ≤ 1 call, at < 20 × the cost of reading one webhook',
    async (levels) => {
      // The baseline is the read a fan-out may at most amount to: one webhook, one call.
      const [answer, cost] = await costOf(laughs(levels), () => send(READ_ONE));
      expect(cost.ratio, cost.note).toBeLessThan(COST_FACTOR);
      expect(calls()).toBeLessThanOrEqual(1);
      if (answer.json?.data === undefined) {
        // Refused: then as any refused document, a request error with a code.
        expect(answer.status).toBe(400);
        expect(codesOf(answer)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        expect(calls()).toBe(0);
      } else {
        expect(answer.json.data).toEqual({ webhook: { id: SENTINEL_ID, name: 'Sentinel' } });
      }
    },
  );
});

describe('G09 directive floods', () => {
  it('G09 50 × @include(if: true) on one field: refused by the directives limit, 400/200, no call', async () => {
    await validationError(
      `{ webhook(id: "${SENTINEL_ID}") ${'@include(if: true) '.repeat(50)}{ id } }`,
    );
    expect(calls()).toBe(0);
  });

  it.each([50, 400])(
    'G09 __typename with %i unknown @aa: a validation error, bounded error count',
    async (n) => {
      for (const answer of await validationError(`{ __typename ${'@aa'.repeat(n)} }`)) {
        // graphql-js stops at 100 validation errors; the limit plugin at its first.
        expect(answer.json?.errors?.length).toBeLessThanOrEqual(101);
        expect(answer.text.length).toBeLessThan(20_000);
      }
      expect(calls()).toBe(0);
    },
  );
});

describe('G10–G12 introspection and schema probing', () => {
  it('G10 circular introspection: "Maximum introspection depth exceeded", 400/200', async () => {
    const query =
      '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }';
    for (const answer of await validationError(query)) {
      expect(answer.json?.errors?.map((error) => error.message)).toEqual([
        'Maximum introspection depth exceeded',
      ]);
    }
    expect(calls()).toBe(0);
  });

  it.each([
    ['the default options', getIntrospectionQuery()],
    [
      'every option (GraphiQL 3, codegen)',
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      }),
    ],
  ])('G11 the standard introspection query with %s: 200, without a key', async (_, query) => {
    const answer = await send(query, undefined, { headers: { authorization: null } });
    expect(answer.status).toBe(200);
    expect(answer.json?.errors).toBeUndefined();
    expect(answer.text).toContain('"name":"refreshWebhookSecret"');
    expect(calls()).toBe(0);
  });

  it.each([
    ['a misspelt field', `{ webhok(id: "${SENTINEL_ID}") { id } }`],
    ['a misspelt argument', `{ webhook(idd: "${SENTINEL_ID}") { id } }`],
    [
      'a misspelt input field',
      'mutation { createWebhook(input: { nam: "x", url: "https://example.com/h", topics: [POST_CREATED] }) { id } }',
    ],
    ['a misspelt type condition', `{ webhook(id: "${SENTINEL_ID}") { ... on Webhok { id } } }`],
    ['a misspelt enum value', '{ webhooks(status: ACTIVEE) { nodes { id } } }'],
  ])('G12 %s: a validation error without "Did you mean", no call', async (_, query) => {
    for (const answer of await validationError(query)) {
      expect(answer.text).not.toMatch(/Did you mean/i);
    }
    expect(calls()).toBe(0);
  });

  it('G12 a misspelt enum value in variables: refused without "Did you mean", no call', async () => {
    const query = 'query ($s: WebhookStatus) { webhooks(status: $s) { nodes { id } } }';
    // Yoga answers variable coercion errors 400 under plain JSON too.
    for (const answer of await requestError(query, { s: 'ACTIVEE' }, {}, 400)) {
      expect(answer.text).not.toMatch(/Did you mean/i);
    }
    expect(calls()).toBe(0);
  });
});

describe('G13 operation selection', () => {
  const READ = `webhook(id: "${SENTINEL_ID}") { id }`;

  it.each([
    ['two operations and no operationName', `query A { ${READ} } query B { ${READ} }`, undefined],
    ['an unknown operationName', `query A { ${READ} }`, 'Nope'],
  ])(
    'G13 %s: 400 "Could not determine what operation to execute.", no call',
    async (_, query, operationName) => {
      // The catalogue says 400 here whatever the Accept; so does Yoga.
      const answers = await requestError(
        query,
        undefined,
        operationName === undefined ? {} : { operationName },
        400,
      );
      for (const answer of answers) {
        expect(answer.json?.errors?.map((error) => error.message)).toEqual([
          'Could not determine what operation to execute.',
        ]);
      }
      expect(calls()).toBe(0);
    },
  );

  it('G13 subscription { x }: a validation error (there is no Subscription type), no call', async () => {
    await validationError('subscription { x }');
    expect(calls()).toBe(0);
  });
});

describe('G14 variables that do not coerce', () => {
  const BY_ID = 'query ($id: ID!) { webhook(id: $id) { id } }';

  it.each([
    ['$id: ID! given {"$ne": null}', BY_ID, { id: { $ne: null } }],
    ['$id: ID! given [1]', BY_ID, { id: [1] }],
    ['$id: ID! omitted', BY_ID, {}],
    [
      '@skip(if: $v) with $v missing',
      `query ($v: Boolean!) { webhook(id: "${SENTINEL_ID}") @skip(if: $v) { id } }`,
      {},
    ],
  ])(
    'G14 %s: a variable coercion error, 400 (both Accept types: Yoga), no call',
    async (_, query, variables) => {
      // Catalogue: 400/200. Yoga answers 400 under plain JSON too; design.md 1.4 follows Yoga.
      for (const answer of await requestError(query, variables, {}, 400)) {
        expect(answer.json?.errors?.[0]?.message).toMatch(/^Variable "\$(id|v)"/);
      }
      expect(calls()).toBe(0);
    },
  );
});

describe('G15 ids that are not ObjectIds', () => {
  const BAD_IDS: [string, string][] = [
    ['../../v2/admin', '../../v2/admin'],
    ['%2e%2e%2f', '%2e%2e%2f'],
    ['<id>/secret', '507f1f77bcf86cd799439011/secret'],
    ['<id>?x=1', '507f1f77bcf86cd799439011?x=1'],
    ['#', '#'],
    ['full-width digits', '５０７ｆ１ｆ７７ｂｃｆ８６ｃｄ７９９４３９０１１'],
    ["''", ''],
    // Just under the 64 KB bound on variables, so that it reaches the resolver (a ~1 MB one
    // is refused before it is parsed: below).
    ['a 60,000-character string', 'a'.repeat(60_000)],
  ];
  const OPERATIONS: [string, string][] = [
    ['webhook', 'query ($id: ID!) { webhook(id: $id) { id } }'],
    ['refreshWebhookSecret', 'mutation ($id: ID!) { refreshWebhookSecret(id: $id) { id } }'],
    [
      'updateWebhook',
      'mutation ($id: ID!) { updateWebhook(id: $id, input: { name: "x" }) { id } }',
    ],
    ['deleteWebhook', 'mutation ($id: ID!) { deleteWebhook(id: $id) { id } }'],
  ];
  const cases = OPERATIONS.flatMap(([operation, query]) =>
    BAD_IDS.map(([label, id]) => [operation, label, query, id] as const),
  );

  it.each(cases)(
    'G15 %s(id: %s): BAD_USER_INPUT (24 hex characters), no call',
    async (operation, _, query, id) => {
      const answer = await send(query, { id });
      expectBadUserInput(answer, 'A webhook id is 24 hexadecimal characters.');
      expect(answer.json?.errors?.[0]?.path).toEqual([operation]);
      expect(calls()).toBe(0);
    },
  );

  it.each(OPERATIONS)(
    'G15 %s(id: a ~1 MB string): refused before anything runs by the bound on variables (BAD_USER_INPUT, 400), not echoed, no call',
    async (_, query) => {
      for (const answer of await requestError(query, { id: 'a'.repeat(990_000) }, {}, 400)) {
        expect(codesOf(answer)).toEqual(['BAD_USER_INPUT']);
        expect(answer.json?.errors?.[0]?.message).toBe(
          "The request's variables (or extensions) are larger than 65536 bytes.",
        );
        expect(answer.text.length).toBeLessThan(1000);
      }
      expect(calls()).toBe(0);
    },
  );
});

describe('G16 paging arguments out of range', () => {
  const LIST =
    'query ($first: Int, $after: String) { webhooks(first: $first, after: $after) { nodes { id } } }';

  it.each([
    ['first: 1000000', { first: 1_000_000 }, 'first must be from 1 to 100.'],
    ['first: 0', { first: 0 }, 'first must be from 1 to 100.'],
    ['first: -1', { first: -1 }, 'first must be from 1 to 100.'],
    [
      'after: 10,000 characters',
      { after: 'A'.repeat(10_000) },
      'after must be a cursor returned by this API (an endCursor or an edge cursor).',
    ],
  ])('G16 %s: BAD_USER_INPUT, no call', async (_, variables, message) => {
    expectBadUserInput(await send(LIST, variables), message);
    expect(calls()).toBe(0);
  });

  it.each([
    ['first: 1e309', '{ webhooks(first: 1e309) { nodes { id } } }'],
    ['first: 2147483648', '{ webhooks(first: 2147483648) { nodes { id } } }'],
  ])('G16 %s as a literal: an Int validation error, 400/200, no call', async (_, query) => {
    for (const answer of await validationError(query)) {
      const messages = answer.json?.errors?.map((error) => error.message) ?? [];
      expect(messages.some((message) => message.startsWith('Int cannot represent'))).toBe(true);
    }
    expect(calls()).toBe(0);
  });

  it.each([1_000_000, 0, -1])(
    'G16 first: %i as a literal: refused (BAD_USER_INPUT, or a validation error), no call',
    async (first) => {
      // The cost limit counts `first` as a list size, so a huge literal may be refused while
      // validating, before the resolver's range check; either refusal is right.
      const answer = await send(`{ webhooks(first: ${first}) { nodes { id } } }`);
      expectRefused(answer, 'first must be from 1 to 100.');
      expect(calls()).toBe(0);
    },
  );

  it('G16 first: 1e309 in JSON variables (Infinity): an Int coercion error, 400 (both Accept types: Yoga), no call', async () => {
    for (const accept of [STRICT, LEGACY] as Accept[]) {
      const answer = await hostile.postRaw(
        JSON.stringify({ query: LIST, variables: { first: 0 } }).replace(
          '"first":0',
          '"first":1e309',
        ),
        { accept },
      );
      expect(answer.status).toBe(400);
      // The variable and the reason; the value itself is not echoed (src/graphql/message-hygiene.ts).
      expect(answer.json?.errors?.[0]?.message).toBe(
        'Variable "$first" got an invalid value; Int cannot represent a non-integer value.',
      );
    }
    expect(calls()).toBe(0);
  });
});

describe('G17–G18 delivery URLs', () => {
  const URLS: [string, string, string][] = [
    // G17: scheme and shape
    ['G17', 'http://example.com', 'input.url must use https.'],
    [
      'G17',
      'https://user:pass@example.com/',
      'input.url must not contain a user name or password.',
    ],
    ['G17', 'javascript:alert(1)', 'input.url must use https.'],
    ['G17', 'file:///etc/passwd', 'input.url must use https.'],
    [
      'G17',
      'https://example.com/\r\nHost: x',
      'input.url must not contain spaces, control characters or backslashes.',
    ],
    [
      'G17',
      `https://example.com/${'a'.repeat(2100)}`,
      'input.url must be at most 2048 characters.',
    ],
    // G18: pointing inside
    ...[
      'https://127.0.0.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://0x7f000001/',
      'https://2130706433/',
      'https://10.0.0.1/',
    ].map((url): [string, string, string] => [
      'G18',
      url,
      'input.url must not point to a loopback, private, link-local, multicast or otherwise non-public IP address.',
    ]),
    [
      'G18',
      'https://localhost/',
      'input.url must name a public host: localhost, single-label names and local or internal domains (.local, .internal, …) are refused.',
    ],
  ];

  it.each(URLS)(
    '%s createWebhook url %j: BAD_USER_INPUT naming input.url, not echoed, no call',
    async (_, url, message) => {
      const answer = await send(CREATE, { input: { ...VALID_CREATE, url } });
      expectBadUserInput(answer, message);
      expect(answer.json?.data).toBeNull();
      expect(answer.text).not.toContain(url.slice(0, 40));
      expect(calls()).toBe(0);
    },
  );

  it.each(URLS)(
    '%s updateWebhook url %j: BAD_USER_INPUT naming input.url, no call',
    async (_, url, message) => {
      const answer = await send(UPDATE, { id: SENTINEL_ID, input: { url } });
      expectBadUserInput(answer, message);
      expect(calls()).toBe(0);
    },
  );
});

describe('G19 custom delivery headers', () => {
  const at = 'input.requestConfig.headers[0]';
  it.each([
    ['a name with CRLF', [{ name: 'X-A\r\nB', value: 'v' }], `${at}.name`],
    ['the name Host', [{ name: 'Host', value: 'internal.example' }], `${at}.name`],
    ['the name Transfer-Encoding', [{ name: 'Transfer-Encoding', value: 'chunked' }], `${at}.name`],
    ['a value with CRLF', [{ name: 'X-A', value: 'a\r\nInjected-Header: 1' }], `${at}.value`],
    ['a value with NUL', [{ name: 'X-A', value: 'a\u0000Injected' }], `${at}.value`],
    [
      '11 headers',
      Array.from({ length: 11 }, (_, index) => ({ name: `X-H${index}`, value: 'v' })),
      'input.requestConfig.headers',
    ],
    ['a 60 KB value', [{ name: 'X-A', value: 'v'.repeat(60_000) }], `${at}.value`],
  ])(
    'G19 %s: BAD_USER_INPUT naming the header field, value not echoed, no call',
    async (_, headers, field) => {
      const answer = await send(CREATE, {
        input: { ...VALID_CREATE, requestConfig: { headers } },
      });
      expectBadUserInput(answer, new RegExp(`^${field.replace(/[[\].]/g, '\\$&')} `));
      expect(answer.text).not.toMatch(/Injected|internal\.example|chunked/);
      expect(calls()).toBe(0);
    },
  );
});

describe('G20 prototype pollution', () => {
  it('G20 __proto__ and constructor as aliases, variables and input keys: normal answers or refusals, no pollution', async () => {
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    const read = `webhook(id: "${SENTINEL_ID}") { id }`;
    const BY_ID = 'query ($id: ID!) { webhook(id: $id) { id } }';

    const aliases = await send(`{ __proto__: ${read} constructor: ${read} prototype: ${read} }`);
    expect(aliases.status).toBe(200);
    // Either a normal answer with those keys as plain data, or a refusal: never a crash.
    if (aliases.json?.data) {
      expect(aliases.text).toContain(`"__proto__":{"id":"${SENTINEL_ID}"}`);
      expect(aliases.text).toContain(`"constructor":{"id":"${SENTINEL_ID}"}`);
    }

    // Raw bodies: JSON.stringify cannot write a __proto__ key.
    const raw = [
      `{"query":${JSON.stringify(BY_ID)},"variables":{"id":"${SENTINEL_ID}","__proto__":{"polluted":true}}}`,
      `{"query":${JSON.stringify(BY_ID)},"variables":{"id":"${SENTINEL_ID}","constructor":{"prototype":{"polluted":true}}}}`,
      `{"query":${JSON.stringify(BY_ID)},"variables":{"id":"${SENTINEL_ID}"},"extensions":{"__proto__":{"polluted":true}}}`,
      `{"query":${JSON.stringify(BY_ID)},"variables":{"id":"${SENTINEL_ID}"},"__proto__":{"polluted":true}}`,
      `{"query":${JSON.stringify(CREATE)},"variables":{"input":{"name":"x","url":"https://example.com/h","topics":["POST_CREATED"],"__proto__":{"polluted":true}}}}`,
      `{"query":${JSON.stringify(CREATE)},"variables":{"input":{"name":"x","url":"https://example.com/h","topics":["POST_CREATED"],"constructor":{"prototype":{"polluted":true}}}}}`,
    ];
    for (const body of raw) {
      const answer = await hostile.postRaw(body);
      expect([200, 400]).toContain(answer.status);
      expect(codesOf(answer)).not.toContain('INTERNAL_SERVER_ERROR');
    }

    // Header names are plain data to the gateway (a null-prototype map), not keys of an object.
    const created = await send(
      'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { id requestConfig { headers { name value } } } }',
      {
        input: {
          ...VALID_CREATE,
          requestConfig: {
            headers: [
              { name: '__proto__', value: 'p' },
              { name: 'constructor', value: 'c' },
            ],
          },
        },
      },
    );
    expect([200, 400]).toContain(created.status);
    expect(codesOf(created)).not.toContain('INTERNAL_SERVER_ERROR');

    const probe: Record<string, unknown> = {};
    expect(probe['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
    // At most the reads and the one create reached Featurebase; nothing else was sent.
    expect(hostile.upstreamCalls({ method: 'POST' })).toBeLessThanOrEqual(1);
    expect(hostile.upstreamCalls({ method: 'PATCH' })).toBe(0);
  });
});

describe('G21 oversized or unknown input values', () => {
  it.each([
    // Just under the body limit, so that it reaches the input checks.
    [
      'a 60,000-character name',
      { name: 'n'.repeat(60_000) },
      'input.name must be 1 to 100 characters, not blank.',
    ],
    [
      'a 10,000-character description',
      { description: 'd'.repeat(10_000) },
      'input.description must be at most 500 characters.',
    ],
  ])(
    'G21 createWebhook with %s: BAD_USER_INPUT, not echoed, no call',
    async (_, change, message) => {
      expectBadUserInput(await send(CREATE, { input: { ...VALID_CREATE, ...change } }), message);
      expect(calls()).toBe(0);
    },
  );

  it('G21 topics: ["NOT_A_TOPIC"] in variables: an enum coercion error, 400 (both Accept types: Yoga), no call', async () => {
    const input = { ...VALID_CREATE, topics: ['NOT_A_TOPIC'] };
    for (const answer of await requestError(CREATE, { input }, {}, 400)) {
      // The path and the enum, not the value (src/graphql/message-hygiene.ts).
      expect(answer.json?.errors?.[0]?.message).toBe(
        'Variable "$input" got an invalid value at "input.topics[0]"; The value does not exist in "WebhookTopic" enum.',
      );
      expect(answer.text).not.toContain('NOT_A_TOPIC');
    }
    expect(calls()).toBe(0);
  });

  it('G21 topics: [NOT_A_TOPIC] as a literal: a validation error, 400/200, no call', async () => {
    await validationError(
      'mutation { createWebhook(input: { name: "x", url: "https://example.com/h", topics: [NOT_A_TOPIC] }) { id } }',
    );
    expect(calls()).toBe(0);
  });
});

describe('G24 secrets only where selected', () => {
  it('G24 after a rotation, nothing that does not select secret carries a whsec_ value', async () => {
    const rotated = await send(
      `mutation { refreshWebhookSecret(id: "${SENTINEL_ID}") { id secret } }`,
    );
    const secret = (rotated.json?.data?.['refreshWebhookSecret'] as { secret?: string } | undefined)
      ?.secret;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).toBe(hostile.heldSentinelSecret());

    const withoutSecret = [
      `{ webhook(id: "${SENTINEL_ID}") { id name url requestConfig { headers { name value } } } }`,
      '{ webhooks(first: 100) { nodes { id name } edges { cursor node { id status } } } }',
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Webhook { id name } } }`,
      `mutation { refreshWebhookSecret(id: "${OTHER_IDS[0]}") { id updatedAt } }`,
      `mutation { updateWebhook(id: "${SENTINEL_ID}", input: { name: "Sentinel" }) { id name } }`,
    ];
    for (const query of withoutSecret) {
      const answer = await send(query, {
        r: [SENTINEL_ID, ...OTHER_IDS].map((id) => ({ __typename: 'Webhook', id })),
      });
      expect(answer.json?.errors).toBeUndefined();
      expect(answer.text).not.toContain('whsec_');
      expect(answer.text).not.toContain(secret);
    }
    // The rotations did happen: the answers above hid real secrets, not absent ones.
    expect(hostile.upstreamCalls({ method: 'POST' })).toBe(2);
    expect(hostile.harness.simulator.peekWebhook(SENTINEL_KEY, OTHER_IDS[0])?.secret).toMatch(
      /^whsec_/,
    );
  });
});
