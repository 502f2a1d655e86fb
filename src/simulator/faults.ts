/**
 * The fault switch: make the next matching requests misbehave the way a real upstream can
 * (an error status, a slow answer, a dropped connection). Faults apply before authentication,
 * since they stand for the network and the load balancer as much as for Featurebase; a fault may
 * still be limited to one API key (`match.apiKey`), to misbehave for one caller only.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { matchesPath, type RecordedRequest } from './request-log.ts';

export interface FaultSpec {
  /** How many matching requests it applies to; default 1. `Infinity` until cleared. */
  times?: number;
  match?: {
    method?: string;
    /** A string matches the path exactly; a RegExp is tested against it. */
    pathPattern?: string | RegExp;
    /**
     * Only requests whose `Authorization` is `Bearer <apiKey>` with exactly this key (the scheme
     * in any case, as the simulator reads it); another key, or none, does not match. Whether the
     * key is one the simulator knows does not matter: faults come before authentication.
     */
    apiKey?: string;
  };
  /** Wait this long first. Alone, the request then proceeds normally (a slow upstream). */
  delayMs?: number;
  /** Answer with this status instead of handling the request. */
  status?: number;
  /** With `status`: a string is sent as is, anything else as JSON. Default: no body. */
  body?: unknown;
  /** With `status`: extra response headers (they win over the default content type). */
  headers?: Record<string, string>;
  /**
   * Destroy the socket. Alone: no response at all (a reset). With `status`: the status line,
   * headers and `body` are written first, then the connection is cut before the message ends
   * (a reset mid-body).
   */
  destroySocket?: boolean;
}

export interface FaultHandle {
  /** Matching requests this fault has been applied to so far. */
  readonly hits: number;
  /** How many more times it will apply. */
  readonly remaining: number;
  cancel(): void;
}

interface ActiveFault extends FaultHandle {
  spec: FaultSpec;
  hits: number;
  remaining: number;
}

/** As the simulator reads the header (simulator.ts): one bearer token, nothing else. */
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;
/** Stands for "the request's key is not known yet" while choosing a fault. */
const KEY_NOT_READ = Symbol('key not read');
/**
 * What `take` returns when the choice depends on the API key: the simulator asks for a fault
 * with the method and path only, before it reads any header, so a fault limited to a key is
 * chosen in `applyFault`, where the request is at hand. The choice is made there exactly as
 * `take` would have made it (first armed fault that matches, used up only when it applies), and a
 * request that no fault matches then proceeds as if none had been armed.
 */
const CHOOSE_BY_KEY = Symbol('choose by key');

interface ChoiceByKey extends FaultSpec {
  readonly [CHOOSE_BY_KEY]: (authorization: string | undefined) => FaultSpec | undefined;
}

function isChoiceByKey(fault: FaultSpec): fault is ChoiceByKey {
  return CHOOSE_BY_KEY in fault;
}

function bearerKey(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

export class FaultSwitch {
  private faults: ActiveFault[] = [];

  inject(spec: FaultSpec): FaultHandle {
    const times = spec.times ?? 1;
    if (!(times > 0)) throw new RangeError('times must be positive');
    const fault: ActiveFault = {
      spec,
      hits: 0,
      remaining: times,
      cancel: () => {
        this.faults = this.faults.filter((other) => other !== fault);
      },
    };
    this.faults.push(fault);
    return fault;
  }

  /**
   * The first armed fault that matches, used up by one; `undefined` on the (cheap) usual path.
   * When a fault limited to an API key would be next, the choice is left to `applyFault`, which
   * reads the key from the request (see `CHOOSE_BY_KEY`).
   */
  take(method: string, path: string): FaultSpec | undefined {
    if (this.faults.length === 0) return undefined;
    return this.choose(method, path, KEY_NOT_READ);
  }

  private choose(
    method: string,
    path: string,
    key: string | undefined | typeof KEY_NOT_READ,
  ): FaultSpec | undefined {
    for (const fault of this.faults) {
      const { match } = fault.spec;
      if (match?.method !== undefined && match.method.toUpperCase() !== method) continue;
      if (match?.pathPattern !== undefined && !matchesPath(path, match.pathPattern)) continue;
      if (match?.apiKey !== undefined) {
        if (key === KEY_NOT_READ) {
          const choice: ChoiceByKey = {
            [CHOOSE_BY_KEY]: (authorization) => this.choose(method, path, bearerKey(authorization)),
          };
          return choice;
        }
        if (key !== match.apiKey) continue;
      }
      fault.hits++;
      fault.remaining--;
      if (fault.remaining <= 0) fault.cancel();
      return fault.spec;
    }
    return undefined;
  }

  clear(): void {
    this.faults = [];
  }
}

/**
 * Plays a fault on one request. `proceed` handles the request normally, for a fault that only
 * delays. The request's log entry gets the faulted status.
 */
export function applyFault(
  fault: FaultSpec,
  req: IncomingMessage,
  res: ServerResponse,
  entry: RecordedRequest,
  proceed: () => void,
): void {
  if (isChoiceByKey(fault)) {
    const chosen = fault[CHOOSE_BY_KEY](req.headers.authorization);
    if (chosen === undefined) proceed();
    else applyFault(chosen, req, res, entry, proceed);
    return;
  }
  const run = (): void => {
    if (res.destroyed) return;
    if (fault.status === undefined) {
      if (fault.destroySocket === true) req.socket.destroy();
      else proceed();
      return;
    }
    entry.status = fault.status;
    const isText = typeof fault.body === 'string';
    const text =
      fault.body === undefined ? '' : isText ? String(fault.body) : JSON.stringify(fault.body);
    const contentType = isText ? 'text/plain; charset=utf-8' : 'application/json';
    if (fault.destroySocket === true) {
      // No Content-Length: the answer is chunked, so the cut leaves it visibly incomplete.
      res.writeHead(fault.status, { 'content-type': contentType, ...fault.headers });
      res.flushHeaders();
      res.write(text, () => req.socket.destroy());
      return;
    }
    res.writeHead(fault.status, {
      'content-type': contentType,
      'content-length': Buffer.byteLength(text),
      ...fault.headers,
    });
    res.end(text);
  };
  if (fault.delayMs === undefined || fault.delayMs <= 0) {
    run();
    return;
  }
  const timer = setTimeout(run, fault.delayMs);
  // A client that gives up (or a server closing its sockets) must not leave the timer behind.
  res.once('close', () => clearTimeout(timer));
}
