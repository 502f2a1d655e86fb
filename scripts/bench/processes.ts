/**
 * The bench's child processes: spawning (optionally pinned to a core), waiting for the line that
 * says a child is ready (with a deadline and the child's own output in the error), and stopping
 * every one of them whatever way the bench ends.
 *
 * Each server runs in a process of its own so that none shares an event loop (or a GC) with
 * another or with autocannon: on this machine, that is what a deployment would look like.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ORPHAN_GUARD = fileURLToPath(new URL('./orphan-guard.mjs', import.meta.url));

/** Lines kept from each child's output, for error messages. */
const TAIL_LINES = 40;

export interface SpawnOptions {
  /** Used in messages. */
  name: string;
  /** The module to run, relative to the repository root. */
  entry: string;
  /** Run `entry` through tsx (TypeScript); false for plain JavaScript. Default true. */
  typescript?: boolean;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Use `env` alone instead of adding it to this process's environment. */
  replaceEnv?: boolean;
  /** Node flags put before the loader (e.g. `--cpu-prof`). */
  nodeFlags?: readonly string[];
  /** Core to pin the process to with `taskset -c`; undefined leaves it to the scheduler. */
  cpu?: number | undefined;
}

export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** `performance.now()` just before spawning, for start-up times. */
  readonly spawnedAt: number;
  readonly #tail: string[] = [];
  readonly #exited: Promise<number | string | null>;
  #exitCode: number | string | null | undefined;

  constructor(options: SpawnOptions) {
    this.name = options.name;
    // `node --import tsx` rather than the `tsx` CLI: the CLI runs the script in a second
    // process, and the pid we measure must be the one that serves. Same loader, same code.
    const nodeArgs = [
      ...(options.nodeFlags ?? []),
      ...(options.typescript === false ? [] : ['--import', 'tsx']),
      '--import',
      ORPHAN_GUARD,
      options.entry,
      ...(options.args ?? []),
    ];
    const [command, args] =
      options.cpu === undefined
        ? [process.execPath, nodeArgs]
        : // taskset execs node in place, so the pid we get is node's own.
          ['taskset', ['-c', String(options.cpu), process.execPath, ...nodeArgs]];
    this.spawnedAt = performance.now();
    this.process = spawn(command, args, {
      cwd: REPO_ROOT,
      env: options.replaceEnv ? { ...options.env } : { ...process.env, ...options.env },
      // stdin is the orphan guard's pipe: it closes when the bench dies, however it dies.
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(this);
    this.#exited = once(this.process, 'exit').then(([code, signal]) => {
      running.delete(this);
      this.#exitCode = (code as number | null) ?? (signal as string | null);
      return this.#exitCode;
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      stream?.setEncoding('utf8');
      // Always read: a child blocked on a full pipe would look like a slow server.
      stream?.on('data', (chunk: string) => this.#remember(chunk));
    }
  }

  get pid(): number {
    const { pid } = this.process;
    if (pid === undefined) throw new Error(`${this.name} did not start (no pid)`);
    return pid;
  }

  get alive(): boolean {
    return this.#exitCode === undefined;
  }

  /** The child's latest output lines, for error messages. */
  get tail(): string {
    return this.#tail.join('\n');
  }

  /**
   * Resolves with the first match of `pattern` in the child's stdout or stderr. Fails fast, with
   * the child's output, when it exits first or `timeoutMs` passes.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      let seen = '';
      const streams = [this.process.stdout, this.process.stderr];
      const cleanup = () => {
        clearTimeout(timer);
        for (const stream of streams) stream?.off('data', onData);
        this.process.off('exit', onExit);
      };
      const onData = (chunk: string) => {
        seen += chunk;
        const match = pattern.exec(seen);
        if (match) {
          cleanup();
          resolve(match);
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(
          new Error(
            `${this.name} exited (${code ?? signal}) before it was ready. Its output:\n${this.tail}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `${this.name} was not ready within ${timeoutMs} ms (waiting for ${pattern}). Its output:\n${this.tail}`,
          ),
        );
      }, timeoutMs);
      for (const stream of streams) stream?.on('data', onData);
      this.process.on('error', (error) => {
        cleanup();
        reject(new Error(`${this.name} could not be spawned: ${error.message}`));
      });
      this.process.once('exit', onExit);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code or signal. */
  async stop(graceMs = 5000): Promise<number | string | null> {
    if (!this.alive) return this.#exitCode ?? null;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    try {
      return await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #remember(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (line.trim() === '') continue;
      this.#tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    }
  }
}

const running = new Set<Child>();

/** Stops every child still running, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((child) => child.stop()));
}

let handlersInstalled = false;

/**
 * Children are stopped on every way out: normal end (the caller awaits `stopAll`), Ctrl-C,
 * SIGTERM, an uncaught error, and, as a last resort, `exit` (synchronous, so SIGKILL). A SIGKILL
 * of the bench itself is covered by each child's orphan guard.
 */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const bail = (code: number, message?: string) => {
    if (message) process.stderr.write(`\n${message}\n`);
    stopAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => bail(130, 'Interrupted: stopping the bench processes…'));
  process.once('SIGTERM', () => bail(143, 'Terminated: stopping the bench processes…'));
  process.once('uncaughtException', (error) =>
    bail(1, `Bench failed: ${error.stack ?? error.message}`),
  );
  process.once('unhandledRejection', (reason) =>
    bail(1, `Bench failed: ${reason instanceof Error ? (reason.stack ?? reason.message) : reason}`),
  );
  process.once('exit', () => {
    for (const child of running) child.process.kill('SIGKILL');
  });
}

/** Whether `taskset` (util-linux) can be used to pin processes. */
export function tasksetAvailable(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins this process (every thread: `-a`) to one core. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
}
