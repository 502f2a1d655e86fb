/**
 * Texts with string literals run as their layout's template (src/graphql/plugins/literal-templates.ts):
 * from the third text of a layout on, the same answers as the text as written (byte for byte,
 * error locations included), on every path, every plugin seeing the request as it came, and no
 * literal kept.
 */

import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { afterAll, describe, expect, it } from 'vitest';
import {
  LITERAL_VARIABLE_PREFIX,
  type LiteralTemplates,
} from '../../src/graphql/literal-templates.ts';
import { CSRF_HEADER } from '../../src/graphql/plugins/browser-safety.ts';
import { SEED_WEBHOOK_IDS } from '../../src/simulator/index.ts';
import { API_KEY, startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startProductionServer } from '../support/production-server.ts';

/** What an added plugin saw of each request. */
const seen: { variables: unknown; variableNames: string[] }[] = [];
const watcher: Plugin = {
  onParams({ params }) {
    seen.push({ variables: params.variables, variableNames: [] });
  },
  onParse() {
    return ({ result }) => {
      const last = seen.at(-1);
      if (last && typeof result === 'object' && result !== null && 'definitions' in result) {
        last.variableNames = variableNamesOf(result as DocumentNode);
      }
    };
  },
};

const templated = await startTestGateway({ plugins: [watcher] });
const asWritten = await startTestGateway({ literalTemplates: false });
afterAll(() => Promise.all([templated.close(), asWritten.close()]));

const [id1, id2, id3, id4] = SEED_WEBHOOK_IDS as [string, string, string, string];
/** Well-formed, same length as the seeds, and unknown to Featurebase. */
const unknownId = id1.replace(/.$/, (last) => (last === '0' ? '1' : '0'));

const FIELDS = 'id name url status topics createdAt health { consecutiveFailures }';

function templatesOf(harness: TestGateway): LiteralTemplates {
  const { plugins } = harness.gateway as unknown as { plugins: readonly unknown[] };
  for (const plugin of plugins) {
    if (typeof plugin === 'object' && plugin !== null && 'literalTemplates' in plugin) {
      return plugin.literalTemplates as LiteralTemplates;
    }
  }
  throw new Error('the gateway has no literal templates');
}

const templates = templatesOf(templated);

async function servedDuring(run: () => Promise<unknown>): Promise<number> {
  const before = templates.stats.served;
  await run();
  return templates.stats.served - before;
}

describe('a text with its id written in', () => {
  const read = (id: string) => `{ webhook(id: "${id}") { ${FIELDS} } }`;
  const withVariables = `query ($id: ID!) { webhook(id: $id) { ${FIELDS} } }`;

  it('runs as a template from the third of its layout, reading as it does with variables', async () => {
    const served = await servedDuring(async () => {
      for (const id of [id1, id2, id3, id4]) {
        const literal = await templated.graphql(read(id));
        const variable = await templated.graphql(withVariables, { id });
        expect(literal.status).toBe(variable.status);
        expect(literal.text).toBe(variable.text);
      }
    });
    expect(served).toBe(2);
  });

  it('words an error as the text as written does, with its locations', async () => {
    // Lines, a comment, a block string and an alias before the field the error is about.
    const text = (id: string) => `# rotate "the" secret
mutation Rotate {
  note: __typename
  rotated: refreshWebhookSecret(id: """
    ${id}
  """) { id secret }
}`;
    await templated.graphql(text(id1.replace(/.$/, 'x')));
    await templated.graphql(text(id2.replace(/.$/, 'x')));
    const served = await servedDuring(async () => {
      const answer = await templated.graphql(text(unknownId));
      const reference = await asWritten.graphql(text(unknownId));
      expect(answer.status).toBe(reference.status);
      expect(answer.text).toBe(reference.text);
      expect(answer.text).toContain('"locations":[{"line":4,"column":3}]');
    });
    expect(served).toBe(1);
  });

  it('gives every other plugin the variables as sent, and the template to parse', async () => {
    const text = (id: string) =>
      `query Q($fields: Boolean = true) { webhook(id: "${id}") { id name @include(if: $fields) } }`;
    for (const id of [id1, id2]) await templated.graphql(text(id), { fields: true });
    seen.length = 0;
    const answer = await templated.graphql(text(id3), { fields: true });
    expect(answer.body.errors).toBeUndefined();
    expect(seen).toEqual([
      { variables: { fields: true }, variableNames: ['fields', `${LITERAL_VARIABLE_PREFIX}0`] },
    ]);
  });

  it('keeps two fields under one name with different literals in conflict', async () => {
    const twice = (a: string, b: string) =>
      `{ w: webhook(id: "${a}") { id } w: webhook(id: "${b}") { id } }`;
    for (const id of [id1, id2, id3]) {
      expect((await templated.graphql(twice(id, id))).body.errors).toBeUndefined();
    }
    const served = await servedDuring(async () => {
      const conflict = await templated.graphql(twice(id1, id2));
      const reference = await asWritten.graphql(twice(id1, id2));
      expect(conflict.text).toBe(reference.text);
      expect(conflict.text).toContain('conflict because they have differing arguments');
    });
    expect(served).toBe(0);
  });

  it('at a custom scalar (`_Any` of `_entities`), is parsed as written every time', async () => {
    const entities = (id: string) =>
      `{ _entities(representations: [{ __typename: "Webhook", id: "${id}" }]) { ... on Webhook { id } } }`;
    const served = await servedDuring(async () => {
      for (const id of [id1, id2, id3]) {
        const answer = await templated.graphql(entities(id));
        expect(answer.body).toEqual({ data: { _entities: [{ id }] } });
      }
    });
    expect(served).toBe(0);
  });
});

describe('on every path', () => {
  it('serves a template on the direct path and through Yoga (GET)', async () => {
    const server = await startProductionServer(templated.gateway);
    try {
      const text = (id: string) => `{ webhook(id: "${id}") { id status } }`;
      const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
      const served = await servedDuring(async () => {
        for (const id of [id1, id2, id3]) {
          const response = await fetch(server.url, {
            method: 'POST',
            headers,
            body: JSON.stringify({ query: text(id) }),
          });
          expect(((await response.json()) as { data: unknown }).data).toMatchObject({
            webhook: { id },
          });
        }
        const get = await fetch(`${server.url}?query=${encodeURIComponent(text(id4))}`, {
          headers: {
            authorization: `Bearer ${API_KEY}`,
            accept: 'application/json',
            [CSRF_HEADER]: '1',
          },
        });
        expect(((await get.json()) as { data: unknown }).data).toMatchObject({
          webhook: { id: id4 },
        });
      });
      expect(server.served).toEqual(['direct', 'direct', 'direct', 'yoga']);
      expect(served).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('what is kept', () => {
  it('holds none of the literals or comments sent', async () => {
    const secret = (n: number) => `whsec_${'s'.repeat(20)}${n}`;
    const text = (n: number) => `# key: ${secret(n)}
mutation { createWebhook(input: { name: "${secret(n)}", url: "https://example.com/${secret(n)}", topics: [post_created] }) { id } }`;
    for (const n of [1, 2, 3]) await templated.graphql(text(n));
    const kept = [...templates.keys(), ...[...templates.documents()].map(sourcesOf)].join('\n');
    for (const n of [1, 2, 3]) expect(kept).not.toContain(secret(n));
    expect(kept).not.toContain('whsec_');
    const { documents } = (await import('../../src/graphql/gateway.ts')).internalsOf(
      templated.gateway,
    );
    expect([...documents.keys()].join('\n')).not.toContain('whsec_');
  });
});

function variableNamesOf(document: DocumentNode): string[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === 'OperationDefinition'
      ? (definition.variableDefinitions ?? []).map((variable) => variable.variable.name.value)
      : [],
  );
}

/** The sources a document's nodes point into. */
function sourcesOf(document: DocumentNode): string {
  const bodies = new Set<string>();
  for (const definition of document.definitions) {
    if (definition.loc) bodies.add(definition.loc.source.body);
  }
  return [...bodies].join('\n');
}
