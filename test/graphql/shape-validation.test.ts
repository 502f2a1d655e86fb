/**
 * Texts with their values written in (string literals) are kept in no cache, but their validation
 * verdict is kept by shape (src/graphql/plugins/shape-validation-cache.ts): the same operation with
 * other literals is validated once, answers as it does with variables, and refusals are worded
 * as before. No literal sent is found in what the gateway keeps.
 */

import { specifiedRules } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { internalsOf } from '../../src/graphql/gateway.ts';
import {
  SHAPE_VERDICT_BOUNDS,
  ShapeValidationCache,
  type ShapeValidationStats,
} from '../../src/graphql/plugins/shape-validation-cache.ts';
import { BoundedTextCache } from '../../src/graphql/query-text-cache.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const harness = await startTestGateway({ literalTemplates: false });
afterAll(() => harness.close());

const [id1, id2, id3] = SEED_WEBHOOK_IDS as [string, string, string];

/** The plugin's cache, found among Yoga's plugins (its `plugins` member is protected in its types). */
function shapeCache(gateway: TestGateway['gateway']): ShapeValidationCache {
  const { plugins } = gateway as unknown as { plugins: readonly unknown[] };
  for (const plugin of plugins) {
    if (typeof plugin === 'object' && plugin !== null && 'shapeValidationCache' in plugin) {
      const { shapeValidationCache } = plugin;
      if (shapeValidationCache instanceof ShapeValidationCache) return shapeValidationCache;
    }
  }
  throw new Error('the gateway has no shape validation cache');
}

const cache = shapeCache(harness.gateway);

/** What happened to the validations `run` caused. */
async function counted(run: () => Promise<unknown>): Promise<ShapeValidationStats> {
  const before = { ...cache.stats };
  await run();
  const after = cache.stats;
  return {
    validated: after.validated - before.validated,
    served: after.served - before.served,
    rechecked: after.rechecked - before.rechecked,
    recheckFailed: after.recheckFailed - before.recheckFailed,
    bypassed: after.bypassed - before.bypassed,
  };
}

const NO_CHANGE: ShapeValidationStats = {
  validated: 0,
  served: 0,
  rechecked: 0,
  recheckFailed: 0,
  bypassed: 0,
};

const ROTATE_FIELDS = 'id name url status topics createdAt health { consecutiveFailures }';
const rotateText = (id: string) =>
  `mutation RotateWebhookSecret { refreshWebhookSecret(id: "${id}") { ${ROTATE_FIELDS} secret } }`;
const ROTATE_WITH_VARIABLES = `mutation RotateWebhookSecret($id: ID!) { refreshWebhookSecret(id: $id) { ${ROTATE_FIELDS} secret } }`;

describe('the same operation with other literals', () => {
  it('is validated once, and answers as it does with the id as a variable', async () => {
    const answers: Record<string, unknown>[] = [];
    const stats = await counted(async () => {
      for (const id of [id1, id2, id3]) {
        const response = await harness.graphql(rotateText(id));
        expect(response.status).toBe(200);
        answers.push(response.body as Record<string, unknown>);
      }
    });
    expect(stats).toEqual({ ...NO_CHANGE, validated: 1, served: 2 });

    for (const [index, id] of [id1, id2, id3].entries()) {
      const withVariables = await harness.graphql(ROTATE_WITH_VARIABLES, { id });
      // A rotation's secret is new each time; everything else is the same answer.
      const strip = (body: unknown) => {
        const data = (body as { data: { refreshWebhookSecret: Record<string, unknown> } }).data;
        const { secret, ...rest } = data.refreshWebhookSecret;
        expect(String(secret)).toMatch(/^whsec_/);
        return rest;
      };
      expect(strip(answers[index])).toEqual(strip(withVariables.body));
      expect(withVariables.body.errors).toBeUndefined();
    }
  });

  it('reads the same as with variables, byte for byte', async () => {
    const read = (id: string) => `{ webhook(id: "${id}") { ${ROTATE_FIELDS} } }`;
    const withVariables = `query ($id: ID!) { webhook(id: $id) { ${ROTATE_FIELDS} } }`;
    for (const id of [id1, id2]) {
      const literal = await harness.graphql(read(id));
      const variable = await harness.graphql(withVariables, { id });
      expect(literal.status).toBe(variable.status);
      expect(literal.text).toBe(variable.text);
    }
  });

  it('rechecks a literal at a custom scalar (`_Any` of `_entities`) on every request', async () => {
    const entities = (id: string) =>
      `{ _entities(representations: [{ __typename: "Webhook", id: "${id}" }]) { ... on Webhook { id name } } }`;
    const answers: unknown[] = [];
    const stats = await counted(async () => {
      for (const id of [id1, id2]) answers.push((await harness.graphql(entities(id))).body);
    });
    expect(stats).toEqual({ ...NO_CHANGE, validated: 1, rechecked: 1 });
    const withVariables = await harness.graphql(
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Webhook { id name } } }',
      { r: [{ __typename: 'Webhook', id: id2 }] },
    );
    expect(answers[1]).toEqual(withVariables.body);
  });

  it('is validated again after a change of syntax: another shape', async () => {
    const stats = await counted(async () => {
      await harness.graphql(`{ webhook(id: "${id1}") { id } }`);
      await harness.graphql(`{ webhook(id: "${id2}") { id name } }`);
      await harness.graphql(`{ w: webhook(id: "${id3}") { id } }`);
    });
    expect(stats).toEqual({ ...NO_CHANGE, validated: 3 });
  });
});

describe('refusals', () => {
  // As the gateway answered before verdicts were kept by shape (checked against its commit).
  it.each([
    {
      query: '{ webhooks(status: "ACTIVE") { nodes { id } } }',
      message: 'Enum "WebhookStatus" cannot represent this value.',
      column: 20,
    },
    {
      query: '{ webhooks(first: "10") { nodes { id } } }',
      message: 'Int cannot represent a non-integer value.',
      column: 19,
    },
    {
      query: `mutation { refreshWebhookSecret(id: "${id1}", x: "y") { id } }`,
      message: 'Unknown argument "x" on field "Mutation.refreshWebhookSecret".',
      column: 65,
    },
  ])(
    '$query gets the same error every time, and nothing is kept',
    async ({ query, message, column }) => {
      const size = cache.size;
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await harness.graphql(query);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          errors: [
            {
              message,
              locations: [{ line: 1, column }],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            },
          ],
        });
      }
      expect(cache.size).toBe(size);
    },
  );

  it('two fields under one name with different literals conflict, the same literal twice not', async () => {
    const pair = (a: string, b: string) =>
      `{ a: webhook(id: "${a}") { id } a: webhook(id: "${b}") { id } }`;
    expect((await harness.graphql(pair(id1, id1))).body).toEqual({ data: { a: { id: id1 } } });
    const conflict = await harness.graphql(pair(id1, id2));
    expect(conflict.status).toBe(400);
    expect(conflict.body.errors?.[0]?.message).toBe(
      'Fields "a" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.',
    );
    expect((await harness.graphql(pair(id3, id3))).body).toEqual({ data: { a: { id: id3 } } });
  });
});

describe('the validation rules', () => {
  const GATEWAY_RULES = [
    ...specifiedRules.map((rule) => rule.name),
    'maxDepthRule',
    'maxAliasesRule',
    'maxDirectivesRule',
    'costLimitRule',
    'maxMutationsRule',
    'knownOperationTypeRule',
  ];

  it('are exactly the known ones, every one classified by what it reads of literals', async () => {
    // A rule added to the gateway without a classification turns the cache off for every
    // validation (`bypassed`); one added with one must be added here after reading it.
    const stats = await counted(async () => {
      await harness.graphql(`{ webhook(id: "${id1}") { id url } }`);
      await harness.graphql(`{ webhook(id: "${id2}") { id url } }`);
    });
    expect(stats).toEqual({ ...NO_CHANGE, validated: 1, served: 1 });
    expect(cache.ruleNames).toEqual(GATEWAY_RULES);
  });

  it('with introspection off, the rule that refuses it too', async () => {
    const closed = await startTestGateway({ introspection: false });
    try {
      const closedCache = shapeCache(closed.gateway);
      await closed.graphql(`{ webhook(id: "${id1}") { id } }`);
      await closed.graphql(`{ webhook(id: "${id2}") { id } }`);
      expect(closedCache.stats).toMatchObject({ validated: 1, served: 1, bypassed: 0 });
      expect(closedCache.ruleNames).toEqual([...GATEWAY_RULES, 'NoSchemaIntrospectionCustomRule']);
      const refused = await closed.graphql('{ __type(name: "Webhook") { name } }');
      expect(refused.status).toBe(400);
    } finally {
      await closed.close();
    }
  });
});

describe('memory', () => {
  it('keeps none of the literals sent, in the shape cache or in the parse cache', async () => {
    const literals = [
      id1,
      'sk_live_written_into_the_query_0123',
      'whsec_written_into_the_query_4567',
      'https://hooks.example.com/featurebase-literal',
      'header-value-literal-89',
    ];
    await harness.graphql(`mutation {
      createWebhook(input: {
        name: "${literals[1]}"
        url: "${literals[3]}"
        topics: [POST_CREATED]
        requestConfig: { headers: [{ name: "X-Team", value: "${literals[4]}" }] }
      }) { id }
    }`);
    await harness.graphql(`{ webhook(id: "${id1}") { id description } }`);
    await harness.graphql(`{ webhooks(after: "${literals[2]}") { nodes { id } } }`);
    const { documents } = internalsOf(harness.gateway);
    if (!(documents instanceof BoundedTextCache)) throw new Error('not the parse cache');
    const kept = [...cache.keys(), ...documents.keys()];
    expect(kept.length).toBeGreaterThan(0);
    for (const text of kept) {
      expect(text).not.toContain('"');
      for (const literal of literals) expect(text).not.toContain(literal);
    }
  });

  it('holds to its bounds under a flood of distinct shapes', async () => {
    const flood = SHAPE_VERDICT_BOUNDS.maxEntries + 100;
    for (let index = 0; index < flood; index++) {
      const response = await harness.graphql(`{ t${index}: __type(name: "Webhook") { name } }`);
      expect(response.body).toEqual({ data: { [`t${index}`]: { name: 'Webhook' } } });
    }
    expect(cache.size).toBeLessThanOrEqual(SHAPE_VERDICT_BOUNDS.maxEntries);
    expect(cache.bytes).toBeLessThanOrEqual(SHAPE_VERDICT_BOUNDS.maxBytes);
    // The flood pushed the earlier shapes out: a rotation's text is validated again, and kept.
    const stats = await counted(async () => {
      await harness.graphql(rotateText(id1));
      await harness.graphql(rotateText(id2));
    });
    expect(stats).toEqual({ ...NO_CHANGE, validated: 1, served: 1 });
  });
});
