/**
 * A real Redis for the shared-state tests: Debian's `redis-server` (`apt-get install
 * redis-server`; `.ci/run` installs it when missing), on a free loopback port, without
 * persistence, stopped when the test is done.
 *
 *   const redis = await startRedisServer();
 *   ... connect to redis.url ...
 *   await redis.kill();      // as a crash would: SIGKILL, connections reset
 *   await redis.restart();   // the same port again, empty
 *   redis.pause();           // SIGSTOP: connections stay open, nothing answers (resume())
 *   await redis.stop();
 *
 * `command(...)` sends one command over a connection of its own (RESP, no client library), so
 * a test can look at Redis without going through the code it tests.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { findSystemBinary } from './system-binary.ts';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Whether a redis-server process is running now. */
  readonly running: boolean;
  /** SIGKILL and wait for the process to be gone (its port closed). */
  kill(): Promise<void>;
  /** A fresh, empty server on the same port; resolves once it answers PING. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing, as a stalled one would. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** One command on its own connection (authenticated if need be); resolves with the reply. */
  command(...args: string[]): Promise<RespValue>;
  /** From now on the server asks for this password (`requirepass`); `command` gives it. */
  requirePassword(password: string): Promise<void>;
  /** Every key, by SCAN. */
  keys(): Promise<string[]>;
  stop(): Promise<void>;
}

export type RespValue = string | number | null | RespValue[] | Error;

/** REDIS_SERVER_PATH, else /usr/bin/redis-server, else `redis-server` on the PATH. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string {
  return findSystemBinary(
    {
      name: 'redis-server',
      variable: 'REDIS_SERVER_PATH',
      debianPath: '/usr/bin/redis-server',
      neededBy: 'the shared-state tests',
    },
    env,
  );
}

/**
 * Starts redis-server on `port`, or on a free loopback port (trying another if that one was
 * taken meanwhile).
 */
export async function startRedisServer(options: { port?: number } = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === undefined ? 5 : 1); attempt++) {
    const port = options.port ?? (await freePort());
    try {
      let child = await launch(binary, port);
      let password: string | undefined;
      const server: RedisServer = {
        url: `redis://127.0.0.1:${port}`,
        port,
        get running() {
          return child.exitCode === null && child.signalCode === null;
        },
        async kill() {
          await terminate(child, 'SIGKILL');
        },
        async restart() {
          await terminate(child, 'SIGKILL');
          child = await launch(binary, port);
          password = undefined;
        },
        pause() {
          child.kill('SIGSTOP');
        },
        resume() {
          child.kill('SIGCONT');
        },
        command: (...args) => command(port, args, password),
        async requirePassword(newPassword) {
          await command(port, ['CONFIG', 'SET', 'requirepass', newPassword], password);
          password = newPassword;
        },
        async keys() {
          const found: string[] = [];
          let cursor = '0';
          do {
            const reply = await command(port, ['SCAN', cursor, 'COUNT', '1000'], password);
            if (!Array.isArray(reply)) throw new Error(`SCAN answered ${String(reply)}`);
            const [next, batch] = reply;
            cursor = String(next);
            if (Array.isArray(batch)) for (const key of batch) found.push(String(key));
          } while (cursor !== '0');
          return found;
        },
        async stop() {
          await terminate(child, 'SIGTERM');
        },
      };
      return server;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Servers still running: killed when the test process exits, whatever happened to the test. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function launch(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      // No files anywhere: the working directory is not ours to write.
      '--dir',
      '/tmp',
      '--dbfilename',
      `fbgw-test-${port}.rdb`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  const exited = once(child, 'exit').then(() => {
    throw new Error(`redis-server exited at start on port ${port}: ${output}`);
  });
  exited.catch(() => {});
  // Polled with a generous deadline: a busy machine may take seconds to start a process.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answered = await Promise.race([
      command(port, ['PING']).then(
        (reply) => reply === 'PONG',
        () => false,
      ),
      exited,
    ]);
    if (answered) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING on port ${port} within 15 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  // A paused server would never act on SIGTERM.
  child.kill('SIGCONT');
  await exited;
}

/** A loopback port nothing listens on at this moment. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * One command over a fresh connection, its reply decoded (RESP2); after an AUTH in the same
 * connection when a password is given.
 */
export function command(
  port: number,
  args: readonly string[],
  password?: string,
): Promise<RespValue> {
  const commands = password === undefined ? [args] : [['AUTH', password], args];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply within 5 s')));
    socket.on('error', reject);
    socket.on('connect', () => {
      for (const each of commands) {
        const parts = each.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
        socket.write(`*${each.length}\r\n${parts.join('')}`);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const replies: RespValue[] = [];
      let offset = 0;
      while (replies.length < commands.length) {
        const parsed = parse(buffer, offset);
        if (!parsed) return;
        replies.push(parsed.value);
        offset = parsed.next;
      }
      socket.end();
      const [first, last] = [replies[0], replies[replies.length - 1] ?? null];
      if (password !== undefined && first instanceof Error) reject(first);
      else resolve(last);
    });
  });
}

/** A RESP2 value at `offset`, or `undefined` when the buffer does not hold all of it yet. */
function parse(buffer: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const values: RespValue[] = [];
      let at = next;
      for (let index = 0; index < count; index++) {
        const item = parse(buffer, at);
        if (!item) return undefined;
        values.push(item.value);
        at = item.next;
      }
      return { value: values, next: at };
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}
