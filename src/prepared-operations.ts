/**
 * Query texts Yoga has already accepted, executed again without its pipeline.
 *
 * Whether a text parses, validates and passes every document limit (tokens, depth, aliases,
 * directives, cost, mutations, known root types) depends on the text alone: Yoga caches that
 * verdict per text too. So once Yoga has executed a text for the fast path, later requests with
 * the same text and operation name are executed straight by graphql-js, over the same schema,
 * with a context built as Yoga's context factory builds it and errors masked (and logged) as
 * Yoga masks them. What is skipped is the orchestration around those steps (hooks run through
 * promise adapters, Yoga's executor wrapper), which cost more CPU per request than execution.
 *
 * Only texts are remembered, never variables, credentials or results; the memory is bounded by
 * entries and by characters, and forgetting a text only sends it through Yoga again.
 */

import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  type GraphQLError,
  type GraphQLSchema,
  parse,
} from 'graphql';
import type { GraphQLParams } from 'graphql-yoga';
import type { GatewayContext } from './context.ts';

/** What the gateway gives the fast path to run an accepted text as Yoga would. */
export interface DirectExecution {
  readonly schema: GraphQLSchema;
  /** The context Yoga's context factory would build for this request. */
  contextFor(request: Request): GatewayContext;
  /** Masks an execution error as Yoga's `maskedErrors` does, logging what it hides. */
  maskError(error: GraphQLError): GraphQLError;
}

export interface PreparedOperationsOptions {
  maxEntries?: number;
  /** Total query characters held; with texts of up to 20,000 characters, at most ~2 MB. */
  maxCharacters?: number;
}

export class PreparedOperations {
  readonly #documents = new Map<string, { document: DocumentNode; size: number }>();
  readonly #maxEntries: number;
  readonly #maxCharacters: number;
  #characters = 0;

  constructor(
    readonly direct: DirectExecution,
    options: PreparedOperationsOptions = {},
  ) {
    this.#maxEntries = options.maxEntries ?? 500;
    this.#maxCharacters = options.maxCharacters ?? 1_000_000;
  }

  get size(): number {
    return this.#documents.size;
  }

  /** The document of a text Yoga has accepted, if it is still remembered. */
  lookup(params: GraphQLParams & { query: string }): DocumentNode | undefined {
    return this.#documents.get(keyOf(params))?.document;
  }

  /** Call only after Yoga executed these params: its parser and validation accepted the text. */
  remember(params: GraphQLParams & { query: string }): void {
    const key = keyOf(params);
    if (this.#documents.has(key) || key.length > this.#maxCharacters) return;
    const document = parse(params.query);
    // Oldest first: Map iteration follows insertion order.
    for (const [oldest, entry] of this.#documents) {
      if (
        this.#documents.size < this.#maxEntries &&
        this.#characters + key.length <= this.#maxCharacters
      ) {
        break;
      }
      this.#documents.delete(oldest);
      this.#characters -= entry.size;
    }
    this.#documents.set(key, { document, size: key.length });
    this.#characters += key.length;
  }

  /**
   * Runs a remembered document. An answer without `data` (the variables did not coerce) was
   * refused before anything ran: the caller hands such requests to Yoga, which words them.
   */
  async execute(
    document: DocumentNode,
    params: GraphQLParams,
    request: Request,
  ): Promise<ExecutionResult> {
    const { direct } = this;
    const result = await execute({
      schema: direct.schema,
      document,
      contextValue: direct.contextFor(request),
      variableValues: params.variables,
      operationName: params.operationName,
    });
    if (!result.errors) return result;
    return { ...result, errors: result.errors.map((error) => direct.maskError(error)) };
  }
}

/** Unambiguous for any pair: the name's length says where the text begins. */
function keyOf(params: GraphQLParams & { query: string }): string {
  const name = params.operationName;
  return name === undefined || name === null
    ? `*${params.query}`
    : `${name.length}:${name}:${params.query}`;
}
