/**
 * Our subgraph composes with someone else's, proven with a real composition library (The Guild's
 * `@theguild/federation-composition`, behind Hive Gateway's own composition and `npm run
 * compose`), on the SDL a router really reads (`_service { sdl }`), not on a copy.
 *
 * About hints. Apollo's composition returns hints beside the supergraph; The Guild's does not
 * (0.27: a result is `{ supergraphSdl, publicSdl }` or `{ errors }`, and nothing in it emits
 * hints). So this file derives the hints that would matter from the result itself, comparing our
 * subgraph's API (its `_service` SDL, the committed schema/schema.graphql) with the supergraph's:
 *
 * - Fail: a breaking change to our API (graphql-js `findBreakingChanges`): a field, argument,
 *   input field or enum value of ours dropped or retyped. Composition does this silently where
 *   Apollo only hints (INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM, INCONSISTENT_ARGUMENT_PRESENCE,
 *   INCONSISTENT_INPUT_OBJECT_FIELD, INCONSISTENT_BUT_COMPATIBLE_FIELD_TYPE): our clients' queries
 *   would then break at the router while our subgraph still accepts them.
 * - Fail: a dangerous change (`findDangerousChanges`): e.g. an enum value added to one of ours,
 *   which our resolvers and our clients' code have never seen.
 * - Fail: a field we define that the supergraph no longer plans to our subgraph (taken over with
 *   `@override`, Apollo's OVERRIDDEN_FIELD_* hints): our resolver would silently stop being used.
 * - Report only: a description of ours replaced by another subgraph's (INCONSISTENT_DESCRIPTION).
 *   It changes documentation, never behaviour, and the other team may well word it better.
 *
 * Every finding, failing or not, is printed in the failure message.
 */

import { readFileSync } from 'node:fs';
import type { CompositionSuccess } from '@theguild/federation-composition';
import {
  type ArgumentNode,
  buildSchema,
  type ConstDirectiveNode,
  type DocumentNode,
  findBreakingChanges,
  findDangerousChanges,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  Kind,
  type ObjectTypeDefinitionNode,
  parse,
} from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import {
  compose,
  composeOrThrow,
  INCIDENTS_SDL,
  INCIDENTS_SUBGRAPH,
  OUR_SUBGRAPH,
  readSubgraphSdl,
} from '../support/federation.ts';
import { startTestGateway } from '../support/gateway.ts';

// Composition only records these URLs in the supergraph; nothing here is ever fetched.
const OUR_URL = 'http://webhooks.invalid/graphql';
const OTHER_URL = 'http://other.invalid/graphql';

const FEDERATION_LINK = `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])
`;

/** The other common way to point at our entity: a stub that cannot resolve anything itself. */
const REFERENCE_ONLY_SDL = `${FEDERATION_LINK}
type Webhook @key(fields: "id", resolvable: false) {
  id: ID!
}

type Alert @key(fields: "id") {
  id: ID!
  webhook: Webhook!
}

type Query {
  alerts: [Alert!]!
}
`;

const harness = await startTestGateway();
afterAll(() => harness.close());
const ourSdl = await readSubgraphSdl(harness);

const withOurs = (name: string, sdl: string) => [
  { name: OUR_SUBGRAPH, url: OUR_URL, sdl: ourSdl },
  { name, url: OTHER_URL, sdl },
];

describe('composition', () => {
  it('reads the same SDL from _service as the committed schema/schema.graphql', () => {
    const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
    // The committed file ends with a newline; the printed SDL does not.
    expect(`${ourSdl}\n`).toBe(committed);
  });

  it.each([
    { name: INCIDENTS_SUBGRAPH, sdl: INCIDENTS_SDL, webhookResolvable: true },
    { name: 'alerts', sdl: REFERENCE_ONLY_SDL, webhookResolvable: false },
  ])(
    'composes with a subgraph that references Webhook ($name), with no finding that matters',
    ({ name, sdl, webhookResolvable }) => {
      const result = compose(withOurs(name, sdl));
      expect(result.errors?.map(describeError), 'composition errors').toBeUndefined();
      const supergraph = result as CompositionSuccess;

      const findings = reviewComposition(supergraph);
      expect(
        findings.filter((finding) => finding.fails),
        `findings:\n${formatFindings(findings)}`,
      ).toEqual([]);

      const joins = supergraphJoins(supergraph.supergraphSdl);
      expect(joins.typeGraphs('Webhook')).toEqual([
        { graph: name, key: 'id', resolvable: webhookResolvable },
        { graph: OUR_SUBGRAPH, key: 'id', resolvable: true },
      ]);
      for (const [type, field] of [
        ['Query', 'webhook'],
        ['Query', 'webhooks'],
        ['Mutation', 'refreshWebhookSecret'],
        ['Webhook', 'name'],
        ['Webhook', 'health'],
      ] as const) {
        expect(joins.fieldGraphs(type, field), `${type}.${field}`).toEqual([OUR_SUBGRAPH]);
      }
    },
  );

  it('plans a field the other subgraph adds to Webhook to that subgraph, and the key to both', () => {
    const joins = supergraphJoins(
      composeOrThrow(withOurs(INCIDENTS_SUBGRAPH, INCIDENTS_SDL)).supergraphSdl,
    );
    expect(joins.fieldGraphs('Webhook', 'openIncidents')).toEqual([INCIDENTS_SUBGRAPH]);
    expect(joins.fieldGraphs('Webhook', 'id')).toEqual([INCIDENTS_SUBGRAPH, OUR_SUBGRAPH]);
    expect(joins.fieldGraphs('Query', 'incidents')).toEqual([INCIDENTS_SUBGRAPH]);
  });

  it('fails on a conflicting definition of one of our fields (Webhook.name: Int, not shareable)', () => {
    const result = compose(
      withOurs(
        'conflicting',
        `${FEDERATION_LINK}type Webhook @key(fields: "id") { id: ID! name: Int }`,
      ),
    );
    expect(result.supergraphSdl).toBeUndefined();
    const errors = (result.errors ?? []).map(describeError);
    expect(errors).toContainEqual(expect.stringMatching(/^FIELD_TYPE_MISMATCH: .*"Webhook\.name"/));
    expect(errors).toContainEqual(
      expect.stringMatching(/^INVALID_FIELD_SHARING: .*"Webhook\.name"/),
    );
  });

  it('flags what composition drops silently: a value of our input enum missing elsewhere', () => {
    // Input enums compose to the intersection of their values: this composes without an error,
    // and the router would then refuse `status: PAUSED` in our updateWebhook.
    const result = composeOrThrow(
      withOurs(
        'narrower',
        `${FEDERATION_LINK}enum SettableWebhookStatus { ACTIVE }
type Query { countByStatus(status: SettableWebhookStatus!): Int! }`,
      ),
    );
    expect(reviewComposition(result).filter((finding) => finding.fails)).toEqual([
      {
        kind: 'VALUE_REMOVED_FROM_ENUM',
        message: 'PAUSED was removed from enum type SettableWebhookStatus.',
        fails: true,
      },
    ]);
  });

  it('flags a field of ours that another subgraph takes over with @override', () => {
    const result = composeOrThrow(
      withOurs(
        'usurper',
        `extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@override"])
type Webhook @key(fields: "id") { id: ID! name: String! @override(from: "${OUR_SUBGRAPH}") }`,
      ),
    );
    expect(reviewComposition(result).filter((finding) => finding.fails)).toEqual([
      {
        kind: 'NOT_PLANNED_TO_OUR_SUBGRAPH',
        message: 'Webhook.name is resolved by usurper',
        fails: true,
      },
    ]);
  });

  it('reports, without failing, a description of ours replaced by another subgraph', () => {
    // The Guild's library keeps the description of the subgraph whose name sorts first, whatever
    // the order given: any team named before "webhooks" that documents Webhook rewrites ours.
    const result = composeOrThrow(
      withOurs(
        'audit',
        `${FEDERATION_LINK}"""Someone else's words."""
type Webhook @key(fields: "id") { id: ID! openIncidents: Int! }`,
      ),
    );
    expect(reviewComposition(result)).toEqual([
      {
        kind: 'DESCRIPTION_CHANGED',
        message: expect.stringMatching(
          /^Webhook: "A Featurebase webhook: .*" became "Someone else's words\."$/,
        ),
        fails: false,
      },
    ]);
  });
});

interface Finding {
  kind: string;
  message: string;
  /** Whether it fails the composition check (see the header comment for which do, and why). */
  fails: boolean;
}

/** Our own hints: every difference between our API and the supergraph's that we look for. */
function reviewComposition(supergraph: CompositionSuccess): Finding[] {
  // `@link` and `@key` are not defined in the subgraph SDL itself: only the API is wanted here.
  const ours = buildSchema(ourSdl, { assumeValidSDL: true });
  const composed = buildSchema(supergraph.publicSdl);
  const joins = supergraphJoins(supergraph.supergraphSdl);
  const change = ({ type, description }: { type: string; description: string }) => ({
    kind: type,
    message: description,
    fails: true,
  });
  return [
    ...findBreakingChanges(ours, composed).map(change),
    ...findDangerousChanges(ours, composed).map(change),
    ...fieldsOf(parse(ourSdl))
      .filter(([type, field]) => !joins.fieldGraphs(type, field).includes(OUR_SUBGRAPH))
      .map(([type, field]) => ({
        kind: 'NOT_PLANNED_TO_OUR_SUBGRAPH',
        message: `${type}.${field} is resolved by ${joins.fieldGraphs(type, field).join(', ')}`,
        fails: true,
      })),
    ...descriptionChanges(ours, composed).map((message) => ({
      kind: 'DESCRIPTION_CHANGED',
      message,
      fails: false,
    })),
  ];
}

/** Every `[type, field]` of the object types a subgraph SDL defines. */
function fieldsOf(document: DocumentNode): [string, string][] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.OBJECT_TYPE_DEFINITION
      ? (definition.fields ?? []).map((field): [string, string] => [
          definition.name.value,
          field.name.value,
        ])
      : [],
  );
}

/** Types and fields (input fields included) of ours whose description the supergraph changed. */
function descriptionChanges(ours: GraphQLSchema, composed: GraphQLSchema): string[] {
  const changes: string[] = [];
  const compare = (coordinate: string, before: Maybe<string>, after: Maybe<string>) => {
    if ((before ?? null) !== (after ?? null)) {
      changes.push(`${coordinate}: ${JSON.stringify(before)} became ${JSON.stringify(after)}`);
    }
  };
  for (const type of Object.values(ours.getTypeMap())) {
    const other = composed.getType(type.name);
    // A type missing from the supergraph is a breaking change, reported as such.
    if (type.name.startsWith('__') || !other) continue;
    compare(type.name, type.description, other.description);
    const otherFields = new Map(fieldsOfType(other).map((field) => [field.name, field]));
    for (const field of fieldsOfType(type)) {
      const counterpart = otherFields.get(field.name);
      if (counterpart) {
        compare(`${type.name}.${field.name}`, field.description, counterpart.description);
      }
    }
  }
  return changes;
}

type Maybe<T> = T | null | undefined;

function fieldsOfType(type: GraphQLNamedType) {
  return isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)
    ? Object.values(type.getFields())
    : [];
}

function formatFindings(findings: Finding[]): string {
  if (findings.length === 0) return '(none)';
  return findings
    .map(({ kind, message, fails }) => `- [${fails ? 'FAILS' : 'info'}] ${kind}: ${message}`)
    .join('\n');
}

function describeError(error: { message: string; extensions: Record<string, unknown> }): string {
  return `${String(error.extensions['code'])}: ${error.message}`;
}

interface TypeJoin {
  graph: string;
  key: string | undefined;
  resolvable: boolean;
}

/**
 * Reads the join spec of a supergraph: which subgraphs define a type (and with which key), and
 * which subgraphs the router may send a field to. A field with no `@join__field` belongs to every
 * subgraph that defines its type; `@join__field(usedOverridden: true)` marks a subgraph that
 * lost the field to an `@override`.
 */
function supergraphJoins(supergraphSdl: string) {
  const document = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  const objectTypes = new Map<string, ObjectTypeDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const graph = directives(value.directives, 'join__graph')[0];
        graphNames.set(value.name.value, String(argument(graph, 'name')));
      }
    }
    if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) {
      objectTypes.set(definition.name.value, definition);
    }
  }
  const graphName = (directive: ConstDirectiveNode) => {
    const value = String(argument(directive, 'graph'));
    return graphNames.get(value) ?? value;
  };

  const typeGraphs = (typeName: string): TypeJoin[] =>
    directives(objectTypes.get(typeName)?.directives, 'join__type')
      .map((directive) => {
        const key = argument(directive, 'key');
        return {
          graph: graphName(directive),
          key: typeof key === 'string' ? key : undefined,
          resolvable: argument(directive, 'resolvable') !== false,
        };
      })
      .sort((a, b) => a.graph.localeCompare(b.graph));

  const fieldGraphs = (typeName: string, fieldName: string): string[] => {
    const field = objectTypes
      .get(typeName)
      ?.fields?.find((candidate) => candidate.name.value === fieldName);
    if (field === undefined) return [];
    const joins = directives(field.directives, 'join__field');
    const graphs =
      joins.length === 0
        ? typeGraphs(typeName).map((join) => join.graph)
        : joins
            .filter((join) => argument(join, 'usedOverridden') !== true)
            .map((join) => graphName(join));
    return graphs.sort();
  };

  return { typeGraphs, fieldGraphs };
}

function directives(
  nodes: readonly ConstDirectiveNode[] | undefined,
  name: string,
): ConstDirectiveNode[] {
  return (nodes ?? []).filter((directive) => directive.name.value === name);
}

/** A string, enum or boolean argument of a directive; undefined when absent. */
function argument(
  directive: ConstDirectiveNode | undefined,
  name: string,
): string | boolean | undefined {
  const value = directive?.arguments?.find((arg: ArgumentNode) => arg.name.value === name)?.value;
  if (value === undefined) return undefined;
  if (value.kind === Kind.STRING || value.kind === Kind.ENUM) return value.value;
  if (value.kind === Kind.BOOLEAN) return value.value;
  return undefined;
}
