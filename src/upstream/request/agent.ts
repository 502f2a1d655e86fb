/**
 * The production dispatcher's settings. Kept apart from the request function, which takes any
 * undici `Dispatcher` (a `MockAgent` in tests).
 */

import { Agent } from 'undici';

export interface UpstreamAgentOptions {
  /** Most sockets open to the upstream origin at once; further requests queue. Default `32`. */
  connections?: number;
  /**
   * How long an idle keep-alive socket is kept. Shorter than the upstream's own idle timeout
   * (Node servers: 5 s, load balancers: often 60 s), so we close first and never write a request
   * onto a socket the server is closing. Default `4000`.
   */
  keepAliveTimeoutMs?: number;
  /** Upper bound of a server's `Keep-Alive: timeout=` hint. Default `30000`. */
  keepAliveMaxTimeoutMs?: number;
  /** Subtracted from a server's keep-alive hint, for latency. Default `2000`. */
  keepAliveTimeoutThresholdMs?: number;
  /**
   * Time allowed for TCP and TLS connect. Keep it below the attempt timeout: a connect timeout is
   * known never to have sent anything, so even a POST may be retried after one. Default `5000`.
   */
  connectTimeoutMs?: number;
}

/**
 * The production dispatcher: a keep-alive pool per origin. Redirects are not followed (no
 * redirect interceptor is composed in). Close it on shutdown (`await agent.close()`).
 */
export function createUpstreamAgent(options: UpstreamAgentOptions = {}): Agent {
  return new Agent({
    connections: options.connections ?? 32,
    pipelining: 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    keepAliveMaxTimeout: options.keepAliveMaxTimeoutMs ?? 30_000,
    keepAliveTimeoutThreshold: options.keepAliveTimeoutThresholdMs ?? 2000,
    connectTimeout: options.connectTimeoutMs ?? 5000,
  });
}
