/**
 * Query texts Yoga has already accepted, executed again without its pipeline.
 *
 * Whether a text parses, validates and passes every document limit (tokens, depth, aliases,
 * directives, cost, mutations, known root types, introspection when it is off) depends on the
 * text alone: Yoga caches that verdict per document too. So once Yoga has executed a text for
 * the fast path, later requests with the same text and operation name are executed straight by
 * graphql-js, over the same schema, with a context built as Yoga's context factory builds it and
 * errors masked (and logged) as Yoga masks them. What is skipped is the orchestration around
 * those steps (hooks run through promise adapters, Yoga's executor wrapper), which cost more CPU
 * per request than execution.
 *
 * Nothing is held here but a mark on documents: the documents themselves are the ones Yoga's
 * parse cache holds (src/graphql/query-text-cache.ts, bounded in bytes, never a text with a string
 * literal), and a document that cache forgets is forgotten here too (a WeakMap). So this adds no
 * memory of its own to the budget, and a text is prepared only while its document is cached.
 */

import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql';
import type { GraphQLParams } from 'graphql-yoga';
import type { GatewayContext } from './context.ts';
import type { BoundedTextCache } from './query-text-cache.ts';

/** What the gateway gives the fast path to run an accepted text as Yoga would. */
export interface DirectExecution {
  readonly schema: GraphQLSchema;
  /** Yoga's parse cache: the documents of the texts it has parsed and kept. */
  readonly documents: Pick<BoundedTextCache<DocumentNode>, 'get'>;
  /** The context Yoga's context factory would build for this request (`nodeRequest`: Node's). */
  contextFor(request: Request, nodeRequest?: unknown): GatewayContext;
  /** Masks an execution error as Yoga's `maskedErrors` does, logging what it hides. */
  maskError(error: GraphQLError): GraphQLError;
}

export class PreparedOperations {
  /** The operation names each cached document was executed under (`undefined`: none given). */
  readonly #accepted = new WeakMap<DocumentNode, Set<string | undefined>>();

  constructor(readonly direct: DirectExecution) {}

  /** The document of a text Yoga has accepted under this operation name, while it is cached. */
  lookup(params: GraphQLParams & { query: string }): DocumentNode | undefined {
    const document = this.direct.documents.get(params.query);
    if (!document) return undefined;
    return this.#accepted.get(document)?.has(params.operationName ?? undefined)
      ? document
      : undefined;
  }

  /** Call only after Yoga executed these params: its parser and validation accepted the text. */
  remember(params: GraphQLParams & { query: string }): void {
    const document = this.direct.documents.get(params.query);
    if (!document) return;
    let names = this.#accepted.get(document);
    if (!names) {
      names = new Set();
      this.#accepted.set(document, names);
    }
    // Bounded by the document: Yoga executes only a name one of its operations has.
    names.add(params.operationName ?? undefined);
  }

  /**
   * Runs a remembered document. An answer without `data` (the variables did not coerce) was
   * refused before anything ran: the caller hands such requests to Yoga, which words them.
   */
  async execute(
    document: DocumentNode,
    params: GraphQLParams,
    request: Request,
    nodeRequest?: unknown,
  ): Promise<ExecutionResult> {
    const { direct } = this;
    const result = await execute({
      schema: direct.schema,
      document,
      contextValue: direct.contextFor(request, nodeRequest),
      variableValues: params.variables,
      operationName: params.operationName,
    });
    if (!result.errors) return result;
    return { ...result, errors: result.errors.map((error) => direct.maskError(error)) };
  }
}
