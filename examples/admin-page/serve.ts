/**
 * `npm run admin-page`: builds the admin page, serves it on 127.0.0.1, starts the gateway on the
 * embedded simulator (a separate process, as `npm start` runs it), and prints the page's URL with
 * the gateway and the demo key filled in. Ctrl-C or SIGTERM stops both.
 *
 *   npm run admin-page                                         # page and gateway on free ports
 *   npm run admin-page -- --port 4100                          # the page on a fixed port
 *   npm run admin-page -- --gateway http://127.0.0.1:4000/graphql   # a gateway already running
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_API_KEY } from '../../src/simulator/index.ts';
import { buildAdminPage } from './build.ts';
import { type RunningStaticServer, serveStatic } from './static-server.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Gateway {
  endpoint: string;
  /** Resolves if the gateway process ends on its own (never for one given with --gateway). */
  ended: Promise<void>;
  stop(): Promise<void>;
}

/** The gateway on the embedded simulator, on a free port; resolves once it listens. */
async function startGateway(): Promise<Gateway> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    // A free port: a gateway already running here may hold the default one.
    METRICS_PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  // Without them, the gateway runs its embedded simulator (and accepts the demo key).
  delete env['FEATUREBASE_API_URL'];
  delete env['FEATUREBASE_API_KEY'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  // However this process ends (an error, a signal while starting), the gateway does not outlive it.
  process.once('exit', () => child.kill('SIGTERM'));
  const endpoint = await endpointFromBanner(child);
  return {
    endpoint,
    ended: once(child, 'exit').then(() => undefined),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Reads the gateway's start banner (stderr) for its endpoint; later stderr output is passed on. */
function endpointFromBanner(child: ChildProcess): Promise<string> {
  const stderr = child.stderr;
  if (!stderr) return Promise.reject(new Error('no stderr'));
  stderr.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: string) => {
      text += chunk;
      const endpoint = text.match(/gateway: (http:\/\/\S+\/graphql)/)?.[1];
      if (!endpoint) return;
      stderr.off('data', onData);
      child.off('exit', onExit);
      stderr.pipe(process.stderr);
      resolve(endpoint);
    };
    const onExit = () => reject(new Error(`The gateway did not start:\n${text}`));
    stderr.on('data', onData);
    child.once('exit', onExit);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { gateway: { type: 'string' }, port: { type: 'string', default: '0' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be a port number, got "${values.port}"`);
  }

  // Installed first, so a Ctrl-C while starting stops what has started so far.
  const running: { server?: RunningStaticServer; gateway?: Gateway } = {};
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all([running.server?.close(), running.gateway?.stop()]);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  const files = await buildAdminPage();
  const gateway: Gateway = values.gateway
    ? { endpoint: values.gateway, ended: new Promise<void>(() => {}), stop: async () => {} }
    : await startGateway();
  running.gateway = gateway;
  const server = await serveStatic(files, { port });
  running.server = server;
  void gateway.ended.then(() => {
    if (stopping) return;
    process.stderr.write('admin-page: the gateway stopped; stopping the page too.\n');
    void stop(1);
  });

  const link = new URL(`${server.origin}/`);
  link.searchParams.set('gateway', gateway.endpoint);
  // The demo key only goes with the gateway started here: a gateway given with --gateway may
  // front the real Featurebase, and its key is typed into the page, never put on a command line.
  if (!values.gateway) link.searchParams.set('key', DEMO_API_KEY);
  process.stdout.write(
    [
      '',
      `Admin page: ${link.href}`,
      values.gateway
        ? `Gateway: ${gateway.endpoint} (enter your API key in the page; npm start's demo key is ${DEMO_API_KEY})`
        : `Gateway: ${gateway.endpoint} on the embedded simulator (in memory, seeded with sample webhooks)`,
      values.gateway ? 'Ctrl-C stops the page.' : 'Ctrl-C stops both.',
      '',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`admin-page: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
