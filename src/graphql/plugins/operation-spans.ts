/**
 * The span of each GraphQL operation (src/telemetry/trace-spans.ts makes and words it), installed
 * only when tracing is on. Started when Yoga has the operation's parameters, named once the
 * document is parsed, ended with the result: so a request refused at parsing or validation gets
 * its span too, ended with Yoga's code. Requests refused before GraphQL (413, 503, CSRF) have none.
 *
 * Only GraphQL-level hooks are used (`onParams`, `onParse`, `onExecutionResult`), which every
 * path runs (Yoga's own lifecycle serves them all). State is kept per operation, keyed by the context
 * object Yoga hands all three (one per operation, batches included), in a WeakMap: nothing
 * outlives the request. The context builder asks `traceOf` for the operation's upstream trace.
 */

import { getOperationAST } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { OperationSpan, OperationTracer } from '../../telemetry/trace-spans.ts';
import type { CallTrace } from '../../upstream/call-trace.ts';

export interface OperationSpans {
  plugin: Plugin;
  /**
   * The trace of the operation run with this context object (Yoga's initial context, which its
   * context factory receives), for the operation's Featurebase calls; `undefined` when none.
   */
  traceOf(context: object): CallTrace | undefined;
}

export function operationSpans(tracer: OperationTracer): OperationSpans {
  const spans = new WeakMap<object, OperationSpan>();
  const plugin: Plugin = {
    onParams({ request, context }) {
      // A context already holding a span never happens in Yoga; it would be ended, not leaked.
      spans.get(context)?.end('INTERNAL_SERVER_ERROR');
      try {
        spans.set(context, tracer.start(request.headers));
      } catch {
        // Tracing must never fail a request: this operation simply goes untraced.
      }
    },
    onParse({ context }) {
      const span = spans.get(context);
      if (!span) return undefined;
      return ({ result }) => {
        if (result === null || result instanceof Error) return;
        const { params } = context as { params?: GraphQLParams };
        const operation = getOperationAST(result, params?.operationName);
        // Several operations and no name given: nothing runs, the span stays `anonymous`.
        if (operation) span.describe(operation.operation, operation.name?.value);
      };
    },
    onExecutionResult({ result, context }) {
      const span = spans.get(context);
      if (!span) return;
      spans.delete(context);
      span.end(outcomeOf(result));
    },
  };
  return { plugin, traceOf: (context) => spans.get(context)?.calls };
}

/** `ok`, or the `extensions.code` of the first error (the span checks its shape). */
function outcomeOf(result: unknown): string {
  if (typeof result !== 'object' || result === null || !('errors' in result)) return 'ok';
  const { errors } = result;
  if (!Array.isArray(errors) || errors.length === 0) return 'ok';
  const first: unknown = errors[0];
  const extensions =
    typeof first === 'object' && first !== null && 'extensions' in first
      ? first.extensions
      : undefined;
  const code =
    typeof extensions === 'object' && extensions !== null && 'code' in extensions
      ? extensions.code
      : undefined;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}
