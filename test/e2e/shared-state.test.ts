/**
 * `npm start` with `REDIS_URL`, as real processes: the gateway connects to a real redis-server
 * (with a password, which never reaches its output), says where Redis is, and closes its
 * connection when SIGTERM stops it; a bad `REDIS_URL` stops it with a message naming the
 * variable.
 */

import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launch, stopAll, stopProcess, waitFor } from '../support/process.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';

const PASSWORD = 'redis-pass-8c1f0e';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
  await redis.requirePassword(PASSWORD);
}, 30_000);
afterAll(async () => {
  await redis?.stop();
});
afterEach(() => stopAll());

/** Connections the gateway holds to Redis now (by the name it gives them). */
async function gatewayConnections(): Promise<number> {
  const reply = await redis.command('CLIENT', 'LIST');
  if (typeof reply !== 'string') throw new Error(`CLIENT LIST answered ${String(reply)}`);
  return (reply.match(/name=featurebase-gateway/g) ?? []).length;
}

describe('npm start with REDIS_URL', { timeout: 60_000 }, () => {
  it('shares state through Redis, never shows its password, and lets go of Redis on SIGTERM', async () => {
    const { port } = redis;
    const gateway = launch('src/main.ts', {
      PORT: '0',
      LOG_LEVEL: 'info',
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}/0`,
    });
    let output = '';
    gateway.stdout?.on('data', (chunk: string) => {
      output += chunk;
    });
    gateway.stderr?.on('data', (chunk: string) => {
      output += chunk;
    });
    const [line] = await waitFor(gateway.stdout, /.*"msg":"shared state: Redis".*/);
    expect(JSON.parse(line)).toMatchObject({
      level: 'info',
      state: { mode: 'redis', redis: `redis://127.0.0.1:${port}/0` },
    });
    await waitFor(gateway.stderr, /gateway: http:\/\/\S+\/graphql/);
    expect(await gatewayConnections()).toBe(1);
    expect(await stopProcess(gateway)).toBe(0);
    // Its connection is gone with it (Redis may take a moment to notice).
    const deadline = Date.now() + 10_000;
    while ((await gatewayConnections()) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await gatewayConnections()).toBe(0);
    expect(output).not.toContain(PASSWORD);
  });

  it('stops with a message naming the variable when REDIS_URL is not a Redis URL', async () => {
    const gateway = launch('src/main.ts', {
      PORT: '0',
      REDIS_URL: `https://user:${PASSWORD}@redis.example.com`,
    });
    let stderr = '';
    gateway.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [message] = await waitFor(gateway.stderr, /Configuration error: .+/);
    expect(message).toContain('REDIS_URL');
    const [code] = await once(gateway, 'exit');
    expect(code).toBe(1);
    expect(stderr).not.toContain(PASSWORD);
  });
});
