/**
 * The gateway and the simulator as real processes (`node --import tsx <script>`), as `npm start`
 * and `npm run simulator` run them.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';

const ROOT = new URL('../../', import.meta.url);
const running: ChildProcess[] = [];

export function launch(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    // Metrics on a free port unless a test says otherwise: 9464 may be taken on this machine.
    env: { PATH: process.env['PATH'] ?? '', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Always drained, so a chatty child never blocks on a full pipe (and never sees EPIPE).
  child.stdout?.setEncoding('utf8').resume();
  child.stderr?.setEncoding('utf8').resume();
  running.push(child);
  return child;
}

/** Resolves with the first match of `pattern` in the stream's text (read without consuming it). */
export function waitFor(
  stream: NodeJS.ReadableStream | null,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpMatchArray> {
  if (!stream) return Promise.reject(new Error('no stream'));
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${text}`));
    }, timeoutMs);
    const onData = (chunk: string | Buffer) => {
      text += String(chunk);
      const match = text.match(pattern);
      if (!match) return;
      clearTimeout(timer);
      stream.off('data', onData);
      resolve(match);
    };
    stream.on('data', onData);
  });
}

/** A gateway process started by `launchGateway`. */
export interface LaunchedGateway {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>/graphql` */
  endpoint: string;
  /** Its Prometheus listener's URL, or `undefined` with `METRICS_PORT=off`. */
  metricsUrl: string | undefined;
}

/**
 * `src/main.ts` on a free port with these variables (at least `FEATUREBASE_API_URL`), once it
 * says it listens. Its log is read from the first line: the metrics listener is announced
 * before the gateway's own banner.
 */
export async function launchGateway(env: Record<string, string>): Promise<LaunchedGateway> {
  const child = launch('src/main.ts', { PORT: '0', LOG_LEVEL: 'info', ...env });
  let logged = '';
  child.stdout?.on('data', (chunk: string) => {
    logged += chunk;
  });
  const listening = waitFor(child.stdout, /gateway listening/);
  const [, endpoint = ''] = await waitFor(child.stderr, /gateway: (http:\/\/\S+\/graphql)/);
  await listening;
  const metricsUrl = logged.match(/"url":"(http:\/\/[^"]+\/metrics)"/)?.[1];
  return { child, endpoint, metricsUrl };
}

/** Sends SIGTERM (unless it already exited) and resolves with the exit code. */
export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  return code as number | null;
}

export async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((child) => stopProcess(child)));
}

/** One GraphQL POST on its own connection; resolves with the status and body, or the error. */
export function postOnNewConnection(
  endpoint: string,
  query: string,
  apiKey: string,
): Promise<{ status: number; body: string } | Error> {
  return new Promise((resolve) => {
    const request = httpRequest(
      endpoint,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', (error) => resolve(error));
    request.end(JSON.stringify({ query }));
  });
}

/** `npm run build`: dist/main.mjs as production runs it, for the tests of the production commands. */
export function buildProductionBundle(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'ignore' });
}
