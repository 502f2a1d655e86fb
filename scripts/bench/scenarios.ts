/**
 * The measured scenarios, each as the same work seen by three targets:
 *
 * - `gateway`: a GraphQL POST to `/graphql`, as a frontend or a router would send it;
 * - `baseline`: the same request bytes to the pass-through proxy (`baseline-proxy.ts`), the path
 *   saying which REST call to forward;
 * - `upstream`: that REST call sent straight to the upstream, to know its own capacity.
 *
 * Each scenario also says what a correct answer looks like twice: a full check of one parsed
 * answer before measuring (`check`), and a cheap string test of every answer while measuring
 * (`verify`, run by autocannon; a failure counts as an error), because a fast wrong answer is
 * not a result.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DocumentNode,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  visit,
} from 'graphql';
import { type Slot, tenantKey, WEBHOOK_IDS, WEBHOOKS_PER_TENANT } from './fixtures.ts';
import { REPO_ROOT } from './processes.ts';

export const SCENARIO_NAMES = ['a', 'b', 'c', 'd', 'e', 'f'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
export type Target = 'upstream' | 'baseline' | 'gateway';

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Scenario {
  name: ScenarioName;
  title: string;
  /** The request `target` receives for this slot. */
  request(target: Target, slot: Slot): HttpRequest;
  /** What is wrong with this parsed answer, or undefined when it is the expected one. */
  check(target: Target, answer: unknown, slot: Slot): string | undefined;
  /** A cheap test of every answer under load. */
  verify(target: Target): (body: string) => boolean;
}

const API_VERSION = '2026-01-01.nova';

/** Documents from `schema/operations/webhooks.graphql`: what the frontend really sends. */
function operationFromFile(name: string): string {
  const file = join(REPO_ROOT, 'schema/operations/webhooks.graphql');
  return withFragments(parse(readFileSync(file, 'utf8')), name);
}

/** The named operation, printed with exactly the fragments it spreads (transitively). */
function withFragments(document: DocumentNode, operationName: string): string {
  const definitions = new Map<string, DocumentNode['definitions'][number]>();
  for (const definition of document.definitions) {
    if (
      definition.kind === Kind.OPERATION_DEFINITION ||
      definition.kind === Kind.FRAGMENT_DEFINITION
    ) {
      if (definition.name) definitions.set(definition.name.value, definition);
    }
  }
  const needed = [operationName];
  const printed: string[] = [];
  const seen = new Set<string>();
  while (needed.length > 0) {
    const name = needed.pop() ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    const definition = definitions.get(name);
    if (!definition) throw new Error(`${name} is not in schema/operations/webhooks.graphql`);
    printed.push(print(definition));
    visit(definition, { FragmentSpread: (spread) => void needed.push(spread.name.value) });
  }
  return printed.join('\n\n');
}

const ROTATE = operationFromFile('RotateWebhookSecret');
const LIST = operationFromFile('ListWebhooksWithHealth');
// Not in the operations file: "a few fields" of one webhook, and what a router asks a subgraph.
const GET_SUMMARY = `query GetWebhookSummary($id: ID!) {
  webhook(id: $id) { id name url status }
}`;
const ENTITIES = `query WebhookEntities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Webhook { id name url status topics health { consecutiveFailures lastSuccessAt } }
  }
}`;

/**
 * `RotateWebhookSecret` with the webhook id written into the text as a string literal instead
 * of passed as `$id`, as a hand-written client or a curl command does: one text per webhook.
 */
function rotateWithIdInText(id: string): string {
  const document = visit(parse(ROTATE), {
    OperationDefinition: (node): OperationDefinitionNode => ({ ...node, variableDefinitions: [] }),
    Variable: (node) =>
      node.name.value === 'id' ? { kind: Kind.STRING, value: id, block: false } : undefined,
  });
  return print(document);
}

const ROTATE_WITH_ID_IN_TEXT = new Map(WEBHOOK_IDS.map((id) => [id, rotateWithIdInText(id)]));

function graphql(
  slot: Slot,
  query: string,
  operationName: string,
  variables?: object,
): HttpRequest {
  return {
    method: 'POST',
    path: '/graphql',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${slot.apiKey}`,
    },
    body: JSON.stringify({ query, operationName, variables }),
  };
}

/** The baseline gets the same bytes as the gateway, at a path naming the REST call. */
function baseline(gatewayRequest: HttpRequest, path: string): HttpRequest {
  return { ...gatewayRequest, path };
}

function upstream(slot: Slot, method: 'GET' | 'POST', path: string): HttpRequest {
  return {
    method,
    path,
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${slot.apiKey}`,
      'featurebase-version': API_VERSION,
    },
  };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `data.<field>` of a GraphQL answer without errors, or the reason it is not one. */
function graphqlData(answer: unknown, field: string): { value: unknown } | { problem: string } {
  if (!isObject(answer)) return { problem: 'the answer is not a JSON object' };
  if (answer['errors'] !== undefined) {
    return { problem: `the answer has errors: ${JSON.stringify(answer['errors']).slice(0, 300)}` };
  }
  const data = answer['data'];
  if (!isObject(data)) return { problem: 'the answer has no data' };
  return { value: data[field] };
}

/** A webhook as the upstream sends it, or as the gateway maps it (the same keys we test). */
function webhookProblem(value: unknown, id: string, withSecret: boolean): string | undefined {
  if (!isObject(value)) return 'no webhook in the answer';
  if (value['id'] !== id) return `expected webhook ${id}, got ${String(value['id'])}`;
  if (withSecret && !String(value['secret']).startsWith('whsec_')) return 'no new secret';
  return undefined;
}

const FULL_WEBHOOK_FIELDS = [
  'name',
  'url',
  'topics',
  'status',
  'requestConfig',
  'lastStatus',
  'health',
  'createdAt',
  'updatedAt',
];

function everyFieldProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'no webhook';
  const missing = FULL_WEBHOOK_FIELDS.filter((field) => value[field] === undefined);
  return missing.length > 0 ? `fields missing: ${missing.join(', ')}` : undefined;
}

function listProblem(answer: unknown, expected: number): string | undefined {
  if (!isObject(answer) || !Array.isArray(answer['data'])) return 'not a webhook list';
  return answer['data'].length === expected
    ? undefined
    : `expected ${expected} webhooks, got ${answer['data'].length}`;
}

const startsWith = (prefix: string) => (body: string) => body.startsWith(prefix);
const UPSTREAM_WEBHOOK = startsWith('{"object":"webhook","id":"');
const UPSTREAM_LIST = startsWith('{"object":"list","data":[{"object":"webhook"');

const refreshSecret: Scenario = {
  name: 'a',
  title: 'refreshWebhookSecret, every field',
  request(target, slot) {
    if (target === 'upstream') {
      return upstream(slot, 'POST', `/v2/webhooks/${slot.webhookId}/secret`);
    }
    const request = graphql(slot, ROTATE, 'RotateWebhookSecret', { id: slot.webhookId });
    return target === 'gateway' ? request : baseline(request, `/a/${slot.webhookId}`);
  },
  check(target, answer, slot) {
    if (target !== 'gateway') return webhookProblem(answer, slot.webhookId, true);
    const data = graphqlData(answer, 'refreshWebhookSecret');
    if ('problem' in data) return data.problem;
    return webhookProblem(data.value, slot.webhookId, true) ?? everyFieldProblem(data.value);
  },
  verify: (target) =>
    target === 'gateway' ? startsWith('{"data":{"refreshWebhookSecret":{"id":"') : UPSTREAM_WEBHOOK,
};

/**
 * (a) with the id written into the query text: every text holds a string literal, so none is
 * kept by the parse caches (it might be a secret), and each request is parsed again. What (f)
 * measures next to (a) in the same run is what that costs (src/graphql/plugins/shape-validation-cache.ts).
 */
const refreshSecretIdInText: Scenario = {
  name: 'f',
  title: '(a) with its id written into the query text',
  request(target, slot) {
    if (target === 'upstream') return refreshSecret.request(target, slot);
    const query = ROTATE_WITH_ID_IN_TEXT.get(slot.webhookId);
    if (query === undefined) throw new Error(`no rotation text for ${slot.webhookId}`);
    const request = graphql(slot, query, 'RotateWebhookSecret');
    return target === 'gateway' ? request : baseline(request, `/a/${slot.webhookId}`);
  },
  check: (target, answer, slot) => refreshSecret.check(target, answer, slot),
  verify: (target) => refreshSecret.verify(target),
};

const getWebhook: Scenario = {
  name: 'b',
  title: 'webhook(id), a few fields',
  request(target, slot) {
    if (target === 'upstream') return upstream(slot, 'GET', `/v2/webhooks/${slot.webhookId}`);
    const request = graphql(slot, GET_SUMMARY, 'GetWebhookSummary', { id: slot.webhookId });
    return target === 'gateway' ? request : baseline(request, `/b/${slot.webhookId}`);
  },
  check(target, answer, slot) {
    if (target !== 'gateway') return webhookProblem(answer, slot.webhookId, false);
    const data = graphqlData(answer, 'webhook');
    if ('problem' in data) return data.problem;
    return webhookProblem(data.value, slot.webhookId, false);
  },
  verify: (target) =>
    target === 'gateway' ? startsWith('{"data":{"webhook":{"id":"') : UPSTREAM_WEBHOOK,
};

const listWebhooks: Scenario = {
  name: 'c',
  title: 'webhooks(first: 10), with health',
  request(target, slot) {
    if (target === 'upstream') return upstream(slot, 'GET', '/v2/webhooks?limit=10');
    const request = graphql(slot, LIST, 'ListWebhooksWithHealth', { first: 10 });
    return target === 'gateway' ? request : baseline(request, '/c');
  },
  check(target, answer) {
    if (target !== 'gateway') return listProblem(answer, WEBHOOKS_PER_TENANT);
    const data = graphqlData(answer, 'webhooks');
    if ('problem' in data) return data.problem;
    const edges = isObject(data.value) ? data.value['edges'] : undefined;
    if (!Array.isArray(edges) || edges.length !== WEBHOOKS_PER_TENANT) {
      return `expected ${WEBHOOKS_PER_TENANT} edges`;
    }
    for (const edge of edges) {
      const problem = everyFieldProblem(isObject(edge) ? edge['node'] : undefined);
      if (problem) return problem;
    }
    return undefined;
  },
  verify: (target) =>
    target === 'gateway' ? startsWith('{"data":{"webhooks":{"edges":[{"cursor":"') : UPSTREAM_LIST,
};

/**
 * (c) as a dashboard open in ten tabs polls it: every connection with the same key. The gateway
 * shares identical reads in flight at the same moment (src/upstream/request/shared-reads.ts), so
 * its upstream calls per request under load fall below the baseline's 1.
 */
const polling: Scenario = {
  name: 'e',
  title: 'webhooks(first: 10) polled with one key',
  // The same calls as (c) for every target (the baseline proxy's `/c` included), one key.
  request: (target, slot) => listWebhooks.request(target, oneKey(slot)),
  check: (target, answer, slot) => listWebhooks.check(target, answer, oneKey(slot)),
  verify: (target) => listWebhooks.verify(target),
};

function oneKey(slot: Slot): Slot {
  return { ...slot, apiKey: tenantKey(0) };
}

/** An entity missing from the list would be `null` in the array: `[null` or `,null`. */
const NULL_IN_ARRAY = /[[,]null/;

const entities: Scenario = {
  name: 'd',
  title: `_entities, ${WEBHOOK_IDS.length} webhooks`,
  request(target, slot) {
    if (target === 'upstream') return upstream(slot, 'GET', '/v2/webhooks?limit=100');
    const representations = WEBHOOK_IDS.map((id) => ({ __typename: 'Webhook', id }));
    const request = graphql(slot, ENTITIES, 'WebhookEntities', { representations });
    return target === 'gateway' ? request : baseline(request, '/d');
  },
  check(target, answer) {
    if (target !== 'gateway') return listProblem(answer, WEBHOOKS_PER_TENANT);
    const data = graphqlData(answer, '_entities');
    if ('problem' in data) return data.problem;
    if (!Array.isArray(data.value) || data.value.length !== WEBHOOK_IDS.length) {
      return `expected ${WEBHOOK_IDS.length} entities`;
    }
    for (const [index, entity] of data.value.entries()) {
      const problem = webhookProblem(entity, WEBHOOK_IDS[index] ?? '', false);
      if (problem) return `entity ${index}: ${problem}`;
    }
    return undefined;
  },
  verify: (target) =>
    target === 'gateway'
      ? (body) => body.startsWith('{"data":{"_entities":[{"id":"') && !NULL_IN_ARRAY.test(body)
      : UPSTREAM_LIST,
};

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  a: refreshSecret,
  b: getWebhook,
  c: listWebhooks,
  d: entities,
  e: polling,
  f: refreshSecretIdInText,
};
