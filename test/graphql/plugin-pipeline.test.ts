/**
 * Every plugin on every path: a plugin installed the usual way (`plugins` of the gateway) counts
 * each of its hooks per request, and every path that serves GraphQL must run the same hooks the
 * same number of times as Yoga itself: Yoga's Node handler, the server's fast paths with a text
 * seen for the first time and with a text Yoga's caches know, and `yoga.fetch`. Two gateways: one
 * whose plugin has every hook kind, HTTP-level ones included (the direct path turns itself off and
 * Yoga's handler serves behind the light view), one whose plugins have GraphQL-level hooks only,
 * as the metrics and tracing plugins (the direct path serves). Then the metrics plugin, installed
 * the same way, counts every operation on every path.
 */

import type { Plugin } from 'graphql-yoga';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { HTTP_LEVEL_HOOKS } from '../../src/graphql/gateway.ts';
import {
  type OperationReport,
  useOperationReport,
} from '../../src/graphql/plugins/operation-report.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, startTestGateway } from '../support/gateway.ts';
import { startProductionServer, startYogaOnlyServer } from '../support/production-server.ts';

/** Hook name → calls, for the request being served (one request at a time in this file). */
const calls = new Map<string, number>();
const count = (hook: string): void => {
  calls.set(hook, (calls.get(hook) ?? 0) + 1);
};

/** Every GraphQL-level hook kind of Yoga and envelop, with its after-hooks. */
const graphqlHooks: Plugin = {
  onParams: () => count('onParams'),
  onParse: () => {
    count('onParse');
    return () => count('onParseDone');
  },
  onValidate: () => {
    count('onValidate');
    return () => count('onValidateDone');
  },
  onContextBuilding: () => {
    count('onContextBuilding');
    return () => count('onContextBuildingDone');
  },
  onExecute: () => {
    count('onExecute');
    return { onExecuteDone: () => count('onExecuteDone') };
  },
  onExecutionResult: () => count('onExecutionResult'),
};

/** Every per-request hook kind, the HTTP-level ones included. */
const everyHook: Plugin = {
  ...graphqlHooks,
  onRequest: () => count('onRequest'),
  onRequestParse: () => {
    count('onRequestParse');
    return { onRequestParseDone: () => count('onRequestParseDone') };
  },
  onResultProcess: () => count('onResultProcess'),
  onResponse: () => count('onResponse'),
};

const reports: OperationReport[] = [];
const withEveryHook = await serversFor([everyHook]);
const withGraphQLHooks = await serversFor([
  graphqlHooks,
  // The same plugin the metrics use (src/graphql/plugins/operation-report.ts), installed as an
  // embedder would install any plugin.
  useOperationReport((report) => reports.push(report)),
]);
afterAll(async () => {
  await withEveryHook.close();
  await withGraphQLHooks.close();
});
beforeEach(() => {
  for (const servers of [withEveryHook, withGraphQLHooks]) {
    servers.harness.simulator.reset();
    servers.served.length = 0;
  }
  reports.length = 0;
});

/** A gateway with these plugins behind the production front, and behind Yoga's Node handler. */
async function serversFor(plugins: Plugin[]) {
  const harness = await startTestGateway({ plugins });
  const withFastPath = await startProductionServer(harness.gateway);
  const yogaOnly = await startYogaOnlyServer(harness.gateway);
  return {
    harness,
    served: withFastPath.served,
    withFastPath,
    yogaOnly,
    close: async () => {
      await withFastPath.close();
      await yogaOnly.close();
      await harness.close();
    },
  };
}

/** The hooks one request ran, in a stable order. */
async function hooksOf(send: () => Response | Promise<Response>): Promise<Record<string, number>> {
  calls.clear();
  const response = await send();
  await response.text();
  return Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b)));
}

const [id] = SEED_WEBHOOK_IDS as [string];
const post = (url: string, body: unknown) => () =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
  });

describe.each([
  ['with every hook kind (Yoga behind the light view)', () => withEveryHook, 'fast'],
  ['with GraphQL-level hooks only (the direct path)', () => withGraphQLHooks, 'direct'],
] as const)(
  'every plugin hook runs on every path, as many times as in Yoga, %s',
  (_, servers, path) => {
    it.each([
      [
        'a query',
        { query: 'query One($id: ID!) { webhook(id: $id) { id name } }', variables: { id } },
      ],
      [
        'a mutation',
        {
          query: 'mutation Rotate($id: ID!) { refreshWebhookSecret(id: $id) { id } }',
          variables: { id },
        },
      ],
      ['a text with a string literal', { query: `{ webhook(id: "${id}") { id } }` }],
      ['a validation error', { query: '{ webhok { id } }' }],
      ['a syntax error', { query: '{ webhook(id: ' }],
      [
        'a variable coercion error',
        { query: 'query ($id: ID!) { webhook(id: $id) { id } }', variables: { id: 4.5 } },
      ],
      ['a request without a query', { variables: {} }],
    ])('%s', async (_, body: { query?: string; variables?: Record<string, unknown> }) => {
      const { harness, served, withFastPath, yogaOnly } = servers();
      // Each path gets a text of its own (a comment apart), sent twice: the first time it is new to
      // Yoga's parse and validation caches, the second time they may know it. Hooks a cache hit
      // skips (a cached syntax error is thrown before the parse after-hooks) are skipped alike.
      const text = (path: string) =>
        body.query === undefined ? body : { ...body, query: `${body.query}\n# ${path}` };
      const twice = async (
        path: string,
        send: (body: unknown) => () => Response | Promise<Response>,
      ) => [await hooksOf(send(text(path))), await hooksOf(send(text(path)))];
      const yoga = await twice('yoga', (sent) => post(yogaOnly.url, sent));
      // Something ran, every time: the parameters stage at least.
      expect(yoga[0]?.['onParams']).toBe(1);
      expect(yoga[1]?.['onParams']).toBe(1);

      expect(await twice('fast', (sent) => post(withFastPath.url, sent))).toEqual(yoga);
      // A request without a query is not an ordinary one: Yoga behind the light view words it.
      const expected = body.query === undefined ? 'fast' : path;
      expect(served).toEqual([expected, expected]);
      const viaFetch = (sent: unknown) => () =>
        harness.gateway.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
          body: JSON.stringify(sent),
        });
      expect(await twice('fetch', viaFetch)).toEqual(yoga);
    });

    it('runs every execution hook for an operation that executes', async () => {
      const { withFastPath } = servers();
      const hooks = await hooksOf(post(withFastPath.url, { query: '{ __typename }' }));
      const httpHooks =
        path === 'fast' ? ['onRequestParse', 'onRequestParseDone', 'onResultProcess'] : [];
      for (const hook of [
        ...httpHooks,
        'onParams',
        'onParse',
        'onParseDone',
        'onValidate',
        'onValidateDone',
        'onContextBuilding',
        'onContextBuildingDone',
        'onExecute',
        'onExecuteDone',
        'onExecutionResult',
      ]) {
        expect(hooks[hook], hook).toBe(1);
      }
    });
  },
);

describe('the operation report (metrics) sees every operation on every path', () => {
  const { harness, served, withFastPath, yogaOnly } = withGraphQLHooks;

  it('reports type, name, outcome and duration the same way on each path', async () => {
    const body = { query: 'query Named($id: ID!) { webhook(id: $id) { id } }', variables: { id } };
    await post(yogaOnly.url, body)().then((response) => response.text());
    await post(withFastPath.url, body)().then((response) => response.text());
    await post(withFastPath.url, body)().then((response) => response.text());
    await harness.graphql(body.query, body.variables);
    expect(served).toEqual(['direct', 'direct']);
    expect(reports).toHaveLength(4);
    for (const report of reports) {
      expect(report).toMatchObject({ type: 'query', name: 'Named', outcome: 'ok' });
      expect(report.durationSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    [
      'an anonymous query',
      { query: '{ __typename }' },
      { type: 'query', name: 'anonymous', outcome: 'ok' },
    ],
    [
      'a mutation that fails upstream',
      { query: 'mutation Gone { refreshWebhookSecret(id: "aaaaaaaaaaaaaaaaaaaaaaaa") { id } }' },
      { type: 'mutation', name: 'Gone', outcome: 'NOT_FOUND' },
    ],
    [
      'a validation error',
      { query: 'query Typo { webhok { id } }' },
      { type: 'query', name: 'Typo', outcome: 'GRAPHQL_VALIDATION_FAILED' },
    ],
    [
      'a syntax error',
      { query: 'query Broken { webhook(id: ' },
      { type: 'unknown', name: 'anonymous', outcome: 'GRAPHQL_PARSE_FAILED' },
    ],
    [
      'a name shaped like a key',
      { query: 'query sk_live_0123456789abcdefABCDEF { __typename }' },
      { type: 'query', name: 'anonymous', outcome: 'ok' },
    ],
  ])('%s', async (_, body, expected) => {
    await post(withFastPath.url, body)().then((response) => response.text());
    await post(yogaOnly.url, body)().then((response) => response.text());
    expect(reports).toEqual([
      { ...expected, durationSeconds: expect.any(Number) },
      { ...expected, durationSeconds: expect.any(Number) },
    ]);
  });
});

describe('a plugin with Yoga instrumentation', () => {
  it('wraps every request on the fast path too', async () => {
    let instrumented = 0;
    const other = await startTestGateway({
      plugins: [
        {
          instrumentation: {
            request: (_, wrapped) => {
              instrumented++;
              return wrapped();
            },
          },
        },
      ],
    });
    const server = await startProductionServer(other.gateway);
    const paths = server.served;
    try {
      for (const _ of [1, 2]) {
        const response = await post(server.url, { query: '{ __typename }' })();
        expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
      }
      expect(paths).toEqual(['fast', 'fast']);
      expect(instrumented).toBe(2);
    } finally {
      await server.close();
      await other.close();
    }
  });
});

/** HTTP-level hooks of a gateway with the default options, by kind (see the comment below). */
const EXPECTED_HTTP_HOOKS = { onRequest: 7, onRequestParse: 9, onResultProcess: 2, onResponse: 2 };

describe("the HTTP stage the direct path does instead of the gateway's own plugins", () => {
  it('is pinned: a new HTTP-level hook among them must be mirrored in the front first', async () => {
    const plain = await startTestGateway();
    try {
      const plugins = (plain.gateway as unknown as { plugins: Record<string, unknown>[] }).plugins;
      const counts = Object.fromEntries(
        HTTP_LEVEL_HOOKS.map((hook) => [
          hook,
          plugins.filter((plugin) => plugin?.[hook] !== undefined).length,
        ]),
      );
      // Yoga's own (health check, CORS, GraphiQL, request parsers, result processor, unhandled
      // route, method and batching checks) and ours (/health, GraphiQL's assets, request
      // tracking, body limit, CSRF, GET content types, leak-free errors): each one's work is
      // done by src/http/fast-path.ts on its direct path. Adding one here means doing its work
      // there too (and a differential case in test/graphql/fast-path.test.ts).
      expect(counts).toEqual(EXPECTED_HTTP_HOOKS);
      expect(plugins.some((plugin) => plugin?.['instrumentation'] !== undefined)).toBe(false);
    } finally {
      await plain.close();
    }
  });
});
