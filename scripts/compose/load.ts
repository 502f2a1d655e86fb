/**
 * A subgraph's SDL for `npm run compose`, read live (`_service { sdl }`) or from a file. Every
 * failure names the subgraph and says why in a line: with several subgraphs, a bare "fetch
 * failed" does not tell which one is down, and a stack trace says nothing more to whoever runs
 * the command.
 */

import { readFileSync } from 'node:fs';
import { type DocumentNode, parse } from 'graphql';
import type { SubgraphSpec } from './args.ts';

/** Long enough for a cold subgraph to answer; short enough that the command never seems hung. */
export const FETCH_TIMEOUT_MS = 10_000;

/** Longest server-written text (a GraphQL error, a file name) quoted in a reason. */
const QUOTE_MAX = 200;

export interface LoadedSubgraph {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

export class SubgraphLoadError extends Error {
  override name = 'SubgraphLoadError';
}

export async function loadSubgraph(
  spec: SubgraphSpec,
  timeoutMs = FETCH_TIMEOUT_MS,
): Promise<LoadedSubgraph> {
  const { name, url, sdlFile } = spec;
  const fail = (reason: string) =>
    new SubgraphLoadError(`subgraph "${name}" (${url}): ${oneLine(reason)}`);
  const sdl = sdlFile === undefined ? await fetchSdl(url, timeoutMs) : readSdlFile(sdlFile);
  if (!sdl.ok) throw fail(sdl.reason);
  try {
    return { name, url, typeDefs: parse(sdl.sdl) };
  } catch (error) {
    const from = sdlFile === undefined ? 'its SDL' : `the SDL in ${sdlFile}`;
    throw fail(`${from} does not parse: ${errorMessage(error)}`);
  }
}

type SdlOrReason = { ok: true; sdl: string } | { ok: false; reason: string };

function readSdlFile(file: string): SdlOrReason {
  try {
    return { ok: true, sdl: readFileSync(file, 'utf8') };
  } catch (error) {
    return { ok: false, reason: `cannot read the SDL file: ${errorMessage(error)}` };
  }
}

async function fetchSdl(url: string, timeoutMs: number): Promise<SdlOrReason> {
  // The signal covers the body too: a subgraph that sends headers and then stalls still times out.
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal,
    });
    text = await response.text();
  } catch (error) {
    return { ok: false, reason: fetchFailure(error, timeoutMs) };
  }

  const body = parseJson(text);
  const sdl = body?.data?._service?.sdl;
  if (response.ok && typeof sdl === 'string') return { ok: true, sdl };
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  // A GraphQL error (e.g. `Cannot query field "_service"`: not a federation subgraph) says more
  // than the status that came with it.
  const graphqlError = body?.errors?.[0]?.message;
  if (typeof graphqlError === 'string') {
    return {
      ok: false,
      reason: `no _service { sdl } in the answer (${status}): ${quote(graphqlError)}`,
    };
  }
  if (!response.ok) return { ok: false, reason: status };
  if (body === undefined) {
    const type = response.headers.get('content-type') ?? 'none';
    return { ok: false, reason: `the answer is not JSON (content-type: ${quote(type)})` };
  }
  return { ok: false, reason: 'no _service { sdl } in the answer' };
}

interface ServiceAnswer {
  data?: { _service?: { sdl?: unknown } | null } | null;
  errors?: { message?: unknown }[];
}

function parseJson(text: string): ServiceAnswer | undefined {
  try {
    const value: unknown = JSON.parse(text);
    // Only objects are read further; `null`, numbers and arrays answer nothing we asked.
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as ServiceAnswer)
      : {};
  } catch {
    return undefined;
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** Why `fetch` rejected: its own message is "fetch failed", the reason is in `cause`. */
function fetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
  const known = code === undefined ? undefined : NETWORK_CODES[code];
  if (known !== undefined) return `${known} (${code})`;
  return quote(cause?.message ?? errorMessage(error));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function quote(text: string): string {
  const line = oneLine(text);
  return line.length > QUOTE_MAX ? `${line.slice(0, QUOTE_MAX)}…` : line;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
