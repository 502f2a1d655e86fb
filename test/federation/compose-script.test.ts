/**
 * `npm run compose` as users run it: the real script in its own process, composing our subgraph
 * (from the committed SDL) with a second one it reads live over HTTP, and failing with a line
 * that names the subgraph when that one cannot be read. The command line's rules are unit-tested
 * in test/unit/compose-args.test.ts; here, only that the script obeys them before doing anything.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kind, parse } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSubgraph } from '../../scripts/compose/load.ts';
import {
  createIncidentsSubgraph,
  INCIDENTS_SDL,
  INCIDENTS_SUBGRAPH,
  type Listening,
  listen,
  OUR_SUBGRAPH,
} from '../support/federation.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/compose-supergraph.ts');
// By URL, not by name: `--import tsx` resolves from the cwd, and some runs here use a temp one.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const OUR_DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

// Each run starts Node, tsx and the composition library; generous, for a machine that is busy.
const PROCESS_TIMEOUT = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runCompose(args: readonly string[], cwd: string): Promise<Run> {
  const child = spawn(process.execPath, ['--import', TSX, SCRIPT, ...args], {
    cwd,
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  // 'close', not 'exit': both pipes are then fully read.
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** The subgraphs a supergraph joins: its `join__Graph` values, each with name and URL. */
function joinGraphs(supergraphSdl: string): { value: string; name: string; url: string }[] {
  const graphs: { value: string; name: string; url: string }[] = [];
  for (const definition of parse(supergraphSdl).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') {
      continue;
    }
    for (const value of definition.values ?? []) {
      const join = value.directives?.find((directive) => directive.name.value === 'join__graph');
      const argument = (name: string) => {
        const node = join?.arguments?.find((arg) => arg.name.value === name)?.value;
        return node?.kind === Kind.STRING ? node.value : '';
      };
      graphs.push({ value: value.name.value, name: argument('name'), url: argument('url') });
    }
  }
  return graphs.sort((a, b) => a.value.localeCompare(b.value));
}

/**
 * A loopback URL that refuses connections until `release()`: the local port of a connected
 * client socket. A port just closed could meanwhile be taken by another test's server; this one
 * cannot be bound by anyone while the connection lives (EADDRINUSE), so the refusal is certain.
 */
async function refusingUrl(): Promise<{ url: string; release(): Promise<void> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  return {
    url: `http://127.0.0.1:${socket.localPort}/graphql`,
    release: async () => {
      socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-script-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('npm run compose, run as a process', { timeout: PROCESS_TIMEOUT }, () => {
  let incidents: Listening;
  beforeAll(async () => {
    incidents = await listen(createIncidentsSubgraph().listener);
  });
  afterAll(() => incidents.close());

  const expectBothSubgraphs = (supergraphSdl: string) => {
    expect(joinGraphs(supergraphSdl)).toEqual([
      { value: 'INCIDENTS', name: INCIDENTS_SUBGRAPH, url: incidents.url },
      { value: 'WEBHOOKS', name: OUR_SUBGRAPH, url: OUR_DEFAULT_URL },
    ]);
    // Read live from the subgraph, not from a copy: its own type is in the supergraph.
    expect(supergraphSdl).toMatch(/^type Incident @join__type\(graph: INCIDENTS/m);
  };

  it('writes --out with ours and the other subgraph, its SDL read from _service', async () => {
    const out = join(tempDir(), 'supergraph.graphql');
    const requestsBefore = incidents.requests.length;
    const run = await runCompose([`${INCIDENTS_SUBGRAPH}=${incidents.url}`, '--out', out], ROOT);
    expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(
      `wrote ${out} from ${OUR_SUBGRAPH} (${OUR_DEFAULT_URL}), ${INCIDENTS_SUBGRAPH} (${incidents.url})\n`,
    );
    expect(incidents.requests.length).toBe(requestsBefore + 1);
    expectBothSubgraphs(readFileSync(out, 'utf8'));
  });

  it("without --out, writes supergraph.graphql in the current directory, keeping the README's subgraph", async () => {
    const cwd = tempDir();
    const run = await runCompose([`${INCIDENTS_SUBGRAPH}=${incidents.url}`], cwd);
    expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(readdirSync(cwd)).toEqual(['supergraph.graphql']);
    expectBothSubgraphs(readFileSync(join(cwd, 'supergraph.graphql'), 'utf8'));
  });

  it('reads a subgraph SDL from name=url=file, the URL only recorded', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'incidents.graphql'), INCIDENTS_SDL);
    const requestsBefore = incidents.requests.length;
    const run = await runCompose(
      [`${INCIDENTS_SUBGRAPH}=${incidents.url}=incidents.graphql`, '--out', 'out.graphql'],
      cwd,
    );
    expect(run, run.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(incidents.requests.length).toBe(requestsBefore);
    expectBothSubgraphs(readFileSync(join(cwd, 'out.graphql'), 'utf8'));
  });

  it('fails on an unreachable subgraph with its name, URL and why, no stack, no file', async () => {
    const cwd = tempDir();
    const refusing = await refusingUrl();
    const url = refusing.url;
    const run = await runCompose([`${INCIDENTS_SUBGRAPH}=${url}`], cwd).finally(refusing.release);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `compose: subgraph "${INCIDENTS_SUBGRAPH}" (${url}): connection refused (ECONNREFUSED)\n`,
    );
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('refuses an unknown argument with the usage, before fetching or writing anything', async () => {
    const cwd = tempDir();
    const requestsBefore = incidents.requests.length;
    const run = await runCompose(
      [`${INCIDENTS_SUBGRAPH}=${incidents.url}`, '--output', 'x.graphql'],
      cwd,
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^compose: unknown option "--output"\n\nUsage: npm run compose -- /);
    expect(readdirSync(cwd)).toEqual([]);
    expect(incidents.requests.length).toBe(requestsBefore);
  });

  it('prints the usage on --help, and exits 0', async () => {
    const cwd = tempDir();
    const run = await runCompose(['--help'], cwd);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: npm run compose -- .*--out <file>/);
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe('a subgraph that cannot be read is named, with why', () => {
  const servers: Listening[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  const serve = async (listener: Parameters<typeof listen>[0]) => {
    const server = await listen(listener);
    servers.push(server);
    return server.url;
  };
  const reasonFor = async (url: string, sdlFile?: string, timeoutMs?: number) => {
    const failure = await loadSubgraph({ name: 'other', url, sdlFile }, timeoutMs).then(
      () => new Error('loaded'),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    const prefix = `subgraph "other" (${url}): `;
    expect(message.startsWith(prefix), message).toBe(true);
    return message.slice(prefix.length);
  };

  it('connection refused', async () => {
    const refusing = await refusingUrl();
    const reason = await reasonFor(refusing.url).finally(refusing.release);
    expect(reason).toBe('connection refused (ECONNREFUSED)');
  });

  it('an HTTP error status', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
    });
    expect(await reasonFor(url)).toBe('HTTP 503 Service Unavailable');
  });

  it('an answer that is not JSON', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>a login page</html>');
    });
    expect(await reasonFor(url)).toBe('the answer is not JSON (content-type: text/html)');
  });

  it('JSON without _service { sdl }', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}');
    });
    expect(await reasonFor(url)).toBe('no _service { sdl } in the answer');
  });

  it('a GraphQL server that is no federation subgraph: its error is quoted', async () => {
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { hello: String }' }),
      logging: false,
      landingPage: false,
    });
    const url = await serve(yoga);
    expect(await reasonFor(url)).toMatch(
      /^no _service \{ sdl \} in the answer \(HTTP \d+[^)]*\): Cannot query field "_service" on type "Query"\.$/,
    );
  });

  it('no answer before the timeout', async () => {
    // Never answers; the server's close() ends the connection.
    const url = await serve(() => {});
    expect(await reasonFor(url, undefined, 50)).toBe('no answer within 0.05 s');
  });

  it('an SDL file that cannot be read, or does not parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-load-'));
    tempDirs.push(dir);
    const missing = join(dir, 'missing.graphql');
    expect(await reasonFor('http://127.0.0.1:1/graphql', missing)).toMatch(
      /^cannot read the SDL file: ENOENT: no such file or directory/,
    );
    const broken = join(dir, 'broken.graphql');
    writeFileSync(broken, 'type Query {');
    expect(await reasonFor('http://127.0.0.1:1/graphql', broken)).toBe(
      `the SDL in ${broken} does not parse: Syntax Error: Expected Name, found <EOF>.`,
    );
  });
});
