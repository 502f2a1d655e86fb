/**
 * Identical reads in flight at the same moment share one upstream call: a dashboard open in ten
 * tabs polls the same list, and Featurebase allows a key about 2,000 calls a minute.
 *
 * - Identical means the same key, API version, path and query. Different keys never share: each
 *   caller's answer is fetched with its own credentials.
 * - Nothing is kept once the call ends: a read that starts after an answer arrived makes its own
 *   call, so sharing never serves an answer older than the reader.
 * - Read-your-writes: every write (any non-GET call) that ends starts a new epoch, and reads
 *   share only within an epoch. A client that changed a webhook and then reads never joins a
 *   read that was already under way before its change.
 * - Each reader may leave (its own abort signal); the shared call is aborted only when every
 *   reader has left. The call is made with the first reader's request id and address.
 * - Answers are shared by reference: callers treat them as read-only (the decoders copy what
 *   they keep).
 *
 * Bound: one entry per read in flight upstream, which admission and the bulkhead already bound
 * (requests in execution × calls per operation); keys are HMACs with a per-process secret, so
 * no API key is held here.
 */

import { createHmac, randomBytes } from 'node:crypto';
import { abortReason } from '../caller.ts';
import type { UpstreamRequest, UpstreamResponse } from './request.ts';

interface Flight {
  response: Promise<UpstreamResponse>;
  controller: AbortController;
  readers: number;
}

export class SharedReads {
  readonly #secret = randomBytes(32);
  readonly #flights = new Map<string, Flight>();
  #epoch = 0;

  /** Reads in flight now (for tests and health). */
  get size(): number {
    return this.#flights.size;
  }

  /** Sends `request` through `send`, sharing a GET with an identical one in flight. */
  send(
    request: UpstreamRequest,
    send: (request: UpstreamRequest) => Promise<UpstreamResponse>,
  ): Promise<UpstreamResponse> {
    if (request.method !== 'GET') {
      const settled = () => {
        this.#epoch++;
      };
      const response = send(request);
      response.then(settled, settled);
      return response;
    }
    const { signal } = request.caller;
    // Gone already: nothing is sent, and no call in flight is joined.
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const key = this.#keyOf(request);
    let flight = this.#flights.get(key);
    if (!flight) flight = this.#start(key, request, send);
    return this.#join(key, flight, request.caller.signal);
  }

  #keyOf({ caller, path, query }: UpstreamRequest): string {
    const search = query?.toString() ?? '';
    return createHmac('sha256', this.#secret)
      .update(caller.apiKey)
      .update('\0')
      .update(caller.apiVersion)
      .update('\0')
      .update(`${path}?${search}`)
      .update(`\0${this.#epoch}`)
      .digest('base64url');
  }

  #start(
    key: string,
    request: UpstreamRequest,
    send: (request: UpstreamRequest) => Promise<UpstreamResponse>,
  ): Flight {
    const controller = new AbortController();
    const flight: Flight = {
      controller,
      readers: 0,
      response: send({ ...request, caller: { ...request.caller, signal: controller.signal } }),
    };
    const done = () => this.#forget(key, flight);
    flight.response.then(done, done);
    this.#flights.set(key, flight);
    return flight;
  }

  #join(key: string, flight: Flight, signal: AbortSignal | undefined): Promise<UpstreamResponse> {
    flight.readers++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!signal) return;
        flight.readers--;
        if (flight.readers > 0) {
          // Others still want the answer: this reader alone leaves, at once.
          reject(abortReason(signal));
          return;
        }
        // The last reader: the call itself stops, and ends with this reader's reason (as an
        // unshared call would), through the answer below.
        this.#forget(key, flight);
        flight.controller.abort(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      flight.response.then(
        (response) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(response);
        },
        (error: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  #forget(key: string, flight: Flight): void {
    if (this.#flights.get(key) === flight) this.#flights.delete(key);
  }
}
