/** Runs a simulator on a real loopback port, for `npm start`, the tests and the benchmark. */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeaturebaseSimulator, type SimulatorOptions } from './simulator.ts';

export interface StartSimulatorOptions extends SimulatorOptions {
  /** Default: `127.0.0.1`, never every interface. */
  host?: string;
  /** Default: 0, a free port chosen by the OS. */
  port?: number;
}

export interface RunningSimulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`; paths start with `/v2`. */
  url: string;
  simulator: FeaturebaseSimulator;
  /** Stops listening and cuts every open connection, keep-alive ones included. */
  close(): Promise<void>;
}

/** Idle keep-alive sockets are closed after this long (Node's default is 5 s too). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

export async function startSimulator(
  options: StartSimulatorOptions = {},
): Promise<RunningSimulator> {
  const { host = '127.0.0.1', port = 0, ...simulatorOptions } = options;
  const simulator = new FeaturebaseSimulator(simulatorOptions);
  const server = createServer(simulator.handle);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${address.port}`,
    simulator,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
