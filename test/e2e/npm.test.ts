/**
 * The documented commands as a container runtime or a process manager runs them: SIGTERM goes to
 * the npm process of `npm start` / `npm run start:prod`, and the gateway must stop with it (npm
 * runs a script through `sh -c`, which passes no signal on: the scripts `exec` their command).
 * And production without an upstream refuses to start rather than serve the simulator.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildProductionBundle, waitFor } from '../support/process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

function npmRun(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn('npm', ['run', '--silent', script], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? ROOT,
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that cleaning up after a failure also reaches an orphan.
    detached: true,
  });
  child.stdout?.setEncoding('utf8').resume();
  child.stderr?.setEncoding('utf8').resume();
  children.push(child);
  return child;
}

/** An idle connection to the gateway: it closes when the gateway drains or exits, not before. */
async function openConnection(endpoint: string): Promise<Socket> {
  const { hostname, port } = new URL(endpoint);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

beforeAll(buildProductionBundle, 120_000);

afterEach(() => {
  for (const child of children.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }
});

describe('SIGTERM to the npm process', { timeout: 60_000 }, () => {
  it.each([
    ['npm run start:prod', 'start:prod'],
    ['npm start', 'start'],
  ])('%s: the gateway drains and exits with npm, and nothing keeps serving', async (_, script) => {
    const npm = npmRun(script, { PORT: '0', DEMO: '1', LOG_LEVEL: 'info' });
    const [, endpoint = ''] = await waitFor(npm.stderr, /gateway: (http:\/\/\S+\/graphql)/, 30_000);
    expect((await fetch(endpoint.replace(/\/graphql$/, '/ready'))).status).toBe(200);
    const connection = await openConnection(endpoint);
    const closed = once(connection, 'close');
    const exited = once(npm, 'exit');
    npm.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    // npm waits for its child; the gateway's connections are closed by its drain, or by its
    // exit. An orphan would keep this one open until its 10 s header timeout.
    await closed;
    expect(await fetch(endpoint).catch((error: Error) => error)).toBeInstanceOf(Error);
  });
});

describe('production start', { timeout: 60_000 }, () => {
  it('refuses NODE_ENV=production without FEATUREBASE_API_URL, naming the variable', async () => {
    const npm = npmRun('start:prod', { PORT: '0' });
    const [message] = await waitFor(npm.stderr, /Configuration error: .+/, 30_000);
    expect(message).toContain('FEATUREBASE_API_URL');
    expect(message).toContain('DEMO=1');
    const [code] = await once(npm, 'exit');
    expect(code).toBe(1);
  });
});
