/**
 * Draining closes what holds no request: keep-alive connections between requests, and
 * connections that never sent one (Node's own `closeIdleConnections` leaves those open, so a
 * single silent client held every shutdown until its deadline).
 */

import { once } from 'node:events';
import { request } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/server.ts';
import { drain } from '../../src/http/shutdown.ts';

describe('drain', () => {
  it('closes a silent connection and an idle keep-alive one, and finishes before its deadline', async () => {
    const server = createHttpServer((_, response) => response.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    const silent = connect(port, '127.0.0.1');
    silent.on('error', () => {});
    await once(silent, 'connect');
    const silentClosed = once(silent, 'close');

    // One request on a kept-alive connection, which then sits idle.
    const keptAlive = await new Promise<Socket>((resolve, reject) => {
      const sent = request({ port, host: '127.0.0.1', headers: { connection: 'keep-alive' } });
      sent.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.socket));
      });
      sent.on('error', reject);
      sent.end();
    });
    const keptAliveClosed = once(keptAlive, 'close');

    // The deadline is what a bug would wait for: drained in time means `true`.
    expect(await drain(server, 10_000)).toBe(true);
    await silentClosed;
    await keptAliveClosed;
  });
});
