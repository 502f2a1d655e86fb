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
 * Only texts are remembered, never variables, credentials or results, and only texts that may
 * be kept at all (src/query-text-cache.ts: none with a string literal, which may be a secret).
 * The memory is bounded by entries and by characters, and forgetting a text only sends it
 * through Yoga again.
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
import { mayKeepQueryText } from './query-text-cache.ts';

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

interface Remembered {
  operationName: string | undefined;
  query: string;
  document: DocumentNode;
}

export class PreparedOperations {
  /**
   * By operation name, then by text: no key string is built per request (a concatenation would
   * copy and hash the whole text again on every lookup).
   */
  readonly #byName = new Map<string | undefined, Map<string, Remembered>>();
  /** Every entry, oldest first (a Set iterates in insertion order). */
  readonly #entries = new Set<Remembered>();
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
    return this.#entries.size;
  }

  /** The document of a text Yoga has accepted, if it is still remembered. */
  lookup(params: GraphQLParams & { query: string }): DocumentNode | undefined {
    return this.#byName.get(params.operationName ?? undefined)?.get(params.query)?.document;
  }

  /** Call only after Yoga executed these params: its parser and validation accepted the text. */
  remember(params: GraphQLParams & { query: string }): void {
    const operationName = params.operationName ?? undefined;
    const { query } = params;
    const size = sizeOf(operationName, query);
    if (!mayKeepQueryText(query) || this.lookup(params) || size > this.#maxCharacters) return;
    const entry: Remembered = { operationName, query, document: parse(query) };
    for (const oldest of this.#entries) {
      if (this.#entries.size < this.#maxEntries && this.#characters + size <= this.#maxCharacters) {
        break;
      }
      this.#forget(oldest);
    }
    let texts = this.#byName.get(operationName);
    if (!texts) {
      texts = new Map();
      this.#byName.set(operationName, texts);
    }
    texts.set(query, entry);
    this.#entries.add(entry);
    this.#characters += size;
  }

  #forget(entry: Remembered): void {
    this.#entries.delete(entry);
    this.#characters -= sizeOf(entry.operationName, entry.query);
    const texts = this.#byName.get(entry.operationName);
    texts?.delete(entry.query);
    if (texts?.size === 0) this.#byName.delete(entry.operationName);
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

function sizeOf(operationName: string | undefined, query: string): number {
  return (operationName?.length ?? 0) + query.length;
}
