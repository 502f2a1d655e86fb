/**
 * One report per GraphQL operation, for the metrics (src/telemetry/metrics.ts): its type, its
 * name, how it ended, and how long it took from its parameters to its result.
 *
 * A plain Yoga plugin, so it sees every operation whichever path serves it (src/http/fast-path.ts
 * runs the same hooks as Yoga): refusals before execution (syntax, validation, variables) are
 * operations too, reported with their error code. A request whose body is not GraphQL at all
 * (malformed JSON, a batch when batching is off) has no operation and is not reported here; the
 * access log has it.
 *
 * What leaves here is bounded by construction: the type is one of four words, the name is the
 * selected operation's own name in the document (a GraphQL name, at most 64 characters, never
 * one shaped like a key), the outcome `ok` or an error code of at most 40 capitals. Folding
 * names into a bounded set of label values is the metrics' job.
 */

import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  getOperationAST,
} from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { isSecretShaped } from '../../telemetry/secret-shapes.ts';

export type OperationType = 'query' | 'mutation' | 'subscription' | 'unknown';

export interface OperationReport {
  type: OperationType;
  /** The operation's name in the document; `anonymous` without one. */
  name: string;
  /** `ok`, or the first error's `extensions.code` (`INTERNAL_SERVER_ERROR` when it has none). */
  outcome: string;
  durationSeconds: number;
}

/** Longer names are reported as `anonymous`: real operation names are far shorter. */
const MAX_NAME_LENGTH = 64;
const CODE = /^[A-Z][A-Z0-9_]{0,39}$/;

interface Operation {
  startedAt: number;
  document?: DocumentNode;
  params?: GraphQLParams;
}

export function useOperationReport(report: (operation: OperationReport) => void): Plugin {
  // Keyed by the context of one operation (Yoga gives each operation of a batch its own).
  const operations = new WeakMap<object, Operation>();
  return {
    onParams({ context, params }) {
      operations.set(context, { startedAt: performance.now(), params });
    },
    onParse({ context }) {
      return ({ result }) => {
        const operation = operations.get(context);
        if (operation && isDocument(result)) operation.document = result;
      };
    },
    onExecutionResult({ context, result }) {
      const operation = operations.get(context);
      if (!operation) return;
      operations.delete(context);
      const selected = operation.document
        ? getOperationAST(operation.document, operation.params?.operationName)
        : null;
      report({
        type: selected ? selected.operation : 'unknown',
        name: publicName(selected?.name?.value),
        outcome: outcomeOf(result),
        durationSeconds: (performance.now() - operation.startedAt) / 1000,
      });
    },
  };
}

function isDocument(value: unknown): value is DocumentNode {
  return (
    typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'Document'
  );
}

function publicName(name: string | undefined): string {
  if (!name || name.length > MAX_NAME_LENGTH || isSecretShaped(name)) return 'anonymous';
  return name;
}

/** `ok`, or the first error's code; a streamed result (none in this schema) counts as ok. */
function outcomeOf(result: unknown): string {
  const errors = (result as ExecutionResult | undefined)?.errors as
    | readonly GraphQLError[]
    | undefined;
  const first = errors?.[0];
  if (!first) return 'ok';
  const code = first.extensions?.['code'];
  return typeof code === 'string' && CODE.test(code) ? code : 'INTERNAL_SERVER_ERROR';
}
