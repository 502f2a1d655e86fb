/**
 * What the Dockerfile promises, checked without Docker (none on CI machines): its final stage
 * runs as a non-root user with `node dist/main.mjs` as PID 1 and a HEALTHCHECK on /health; the
 * bundle needs no package that `npm ci --omit=dev` leaves out; and its exact CMD and HEALTHCHECK
 * commands work against the real bundle.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProductionBundle, waitFor } from '../support/process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
  .replace(/\\\n\s*/g, ' ')
  .split('\n');
/** The lines of the image that runs: those after the last FROM. */
const finalStage = dockerfile.slice(dockerfile.findLastIndex((line) => line.startsWith('FROM ')));
const instruction = (name: string) =>
  finalStage.find((line) => line.startsWith(`${name} `))?.slice(name.length + 1) ?? '';
/** An exec-form command (a JSON array) at the end of an instruction. */
const execForm = (text: string): string[] => JSON.parse(text.slice(text.indexOf('['))) as string[];

beforeAll(buildProductionBundle, 120_000);

const running: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('the container image', { timeout: 60_000 }, () => {
  it('runs as the unprivileged user, node itself as PID 1, with a HEALTHCHECK on /health', () => {
    expect(instruction('USER')).toBe('node');
    expect(execForm(instruction('CMD'))).toEqual([
      'node',
      '--max-old-space-size=160',
      'dist/main.mjs',
    ]);
    expect(instruction('HEALTHCHECK')).toContain('/health');
    expect(instruction('ENV')).toContain('NODE_ENV=production');
    expect(instruction('ENV')).toContain('HOST=0.0.0.0');
  });

  it('needs only run-time dependencies: every package the bundle loads is in "dependencies"', () => {
    const bundle = readFileSync(new URL('../../dist/main.mjs', import.meta.url), 'utf8');
    const specifiers = [
      // import/export, dynamic import, and require/resolve through createRequire.
      ...bundle.matchAll(
        /(?:from\s*|import\s*\(\s*|import\s+|require\(|resolve\(\s*|\(import\.meta\.url\)\()"([^".][^"]*)"/g,
      ),
    ].map((match) => match[1] ?? '');
    const packages = new Set(
      specifiers
        .filter(
          (specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier),
        )
        .map((specifier) =>
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
    );
    const { dependencies } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(packages.size).toBeGreaterThan(5);
    expect([...packages].filter((name) => !(name in dependencies))).toEqual([]);
    // GraphiQL's bundle is found at run time, by name: it must be there too.
    expect(packages).toContain('@graphql-yoga/render-graphiql');
  });

  it('serves with its CMD, and its HEALTHCHECK passes against it and fails without it', async () => {
    const [command = '', ...args] = execForm(instruction('CMD'));
    const gateway = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: ROOT,
      // The image's environment, but on loopback here, and with the demo upstream.
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'production',
        DEMO: '1',
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.push(gateway);
    gateway.stderr?.setEncoding('utf8').resume();
    const [, port = ''] = await waitFor(
      gateway.stderr,
      /gateway: http:\/\/127\.0\.0\.1:(\d+)\//,
      30_000,
    );
    const [healthNode = '', ...healthArgs] = execForm(instruction('HEALTHCHECK'));
    const check = (env: Record<string, string>) => {
      const child = spawn(healthNode === 'node' ? process.execPath : healthNode, healthArgs, {
        env: { PATH: process.env['PATH'] ?? '', ...env },
        stdio: 'ignore',
      });
      return once(child, 'exit').then(([code]) => code);
    };
    expect(await check({ PORT: port })).toBe(0);
    const exited = once(gateway, 'exit');
    gateway.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    expect(await check({ PORT: port })).toBe(1);
  });
});
