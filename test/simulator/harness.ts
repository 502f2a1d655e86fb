/** A simulator on a loopback port and a small client for it, over real HTTP. */

import { afterEach, expect } from 'vitest';
import {
  DEMO_API_KEY,
  type StartSimulatorOptions,
  startSimulator,
} from '../../src/simulator/index.ts';
import type { RunningSimulator } from '../../src/simulator/server.ts';
import type { WireErrorBody } from '../../src/upstream/wire.ts';

export const KEY = DEMO_API_KEY;
export const OTHER_KEY = 'sk_test_other_workspace';
export const NOVA = '2026-01-01.nova';

export interface CallOptions {
  /** JSON-encoded, with `Content-Type: application/json`. */
  body?: unknown;
  /** Sent as is; set the content type yourself through `headers`. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** The API key; `null` sends no Authorization header. Default: the demo key. */
  key?: string | null;
  /** `Featurebase-Version`; `null` sends none. Default: Nova. */
  version?: string | null;
}

export interface CallResult<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Harness extends RunningSimulator {
  call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
}

const running: RunningSimulator[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/**
 * Starts a simulator (two workspaces: the demo key's and `OTHER_KEY`'s; unseeded unless asked),
 * closed after each test.
 */
export async function startHarness(options: StartSimulatorOptions = {}): Promise<Harness> {
  const server = await startSimulator({
    seed: false,
    apiKeys: [
      { key: KEY, workspace: 'demo' },
      { key: OTHER_KEY, workspace: 'other' },
    ],
    ...options,
  });
  running.push(server);
  return {
    ...server,
    async call<T>(method: string, path: string, options: CallOptions = {}) {
      const headers = new Headers(options.headers);
      const key = options.key === undefined ? KEY : options.key;
      if (key !== null) headers.set('authorization', `Bearer ${key}`);
      const version = options.version === undefined ? NOVA : options.version;
      if (version !== null) headers.set('featurebase-version', version);
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers.set('content-type', 'application/json');
      }
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: (text === '' ? undefined : JSON.parse(text)) as T,
      };
    },
  };
}

export function validCreateBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Orders',
    url: 'https://hooks.example.com/featurebase',
    topics: ['post.created'],
    ...overrides,
  };
}

/**
 * Asserts the documented error answer: the status, JSON, and exactly
 * `{ error: { type, code, message, param?, status } }`. Returns the inner error.
 */
export function expectError(
  result: CallResult<unknown>,
  expected: { status: number; type: string; code: string; param?: string },
): WireErrorBody['error'] {
  expect(result.headers.get('content-type')).toBe('application/json');
  expect(result.status).toBe(expected.status);
  const body = result.body as WireErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  const { error } = body;
  expect(error).toEqual({
    type: expected.type,
    code: expected.code,
    message: expect.any(String),
    ...(expected.param === undefined ? {} : { param: expected.param }),
    status: expected.status,
  });
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}
