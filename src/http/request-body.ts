/**
 * Reads a request body into memory, within the body limit and the body-memory budget
 * (src/http/load-shedding.ts `BodyMemory`), with or without a Content-Length. A body over the limit
 * is refused as soon as that is known (from the header, or while it streams), and so is one the
 * budget cannot hold; reading stops there, and the connection is closed once the refusal is
 * sent (src/http/server.ts). The caller releases the body's memory once it has parsed it.
 */

import type { IncomingMessage } from 'node:http';
import type { BodyMemory } from './load-shedding.ts';

/**
 * `too-large`: over the body limit; `no-memory`: the body-memory budget is spent; `refused`:
 * `inspect` refused a chunk.
 */
export type BodyRefusal = 'too-large' | 'no-memory' | 'refused';

export type BodyRead =
  | { ok: true; body: Buffer; release: () => void }
  | { ok: false; refusal: BodyRefusal };

/** Looks at each chunk as it arrives; `true` refuses the body there (nothing more is read). */
export type ChunkInspector = (chunk: Buffer) => boolean;

const CONTENT_LENGTH = /^\d+$/;

export function readRequestBody(
  request: IncomingMessage,
  maxBytes: number,
  memory: BodyMemory,
  inspect?: ChunkInspector,
): Promise<BodyRead> {
  const declared = request.headers['content-length'];
  // Node's parser refuses a malformed or repeated Content-Length before we get here.
  if (declared !== undefined && CONTENT_LENGTH.test(declared) && Number(declared) > maxBytes) {
    return Promise.resolve({ ok: false, refusal: 'too-large' });
  }
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      memory.release(size);
    };
    const stop = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
      // Whatever was read is dropped now, not when the request object is collected.
      chunks = [];
    };
    const refuse = (refusal: BodyRefusal): void => {
      stop();
      release();
      request.pause();
      resolve({ ok: false, refusal });
    };
    const onData = (chunk: Buffer): void => {
      const total = size + chunk.length;
      if (total > maxBytes) {
        refuse('too-large');
        return;
      }
      if (!memory.grow(size, total)) {
        refuse('no-memory');
        return;
      }
      size = total;
      if (inspect?.(chunk)) {
        refuse('refused');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      stop();
      resolve({ ok: true, body, release });
    };
    const onError = (error: Error): void => {
      stop();
      release();
      reject(error);
    };
    // The client went away before the end of its body.
    const onClose = (): void => {
      if (request.complete) return;
      onError(new Error('The client closed the connection while sending its request.'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}
