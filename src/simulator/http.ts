/** Small `node:http` helpers: bounded body reading and JSON answers. */

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ApiError, invalidRequest } from './api-error.ts';
import { ERROR_CODES } from './error-codes.ts';
import { isPlainObject } from './validation.ts';

export function payloadTooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    'invalid_request_error',
    ERROR_CODES.bodyTooLarge,
    `Request body must be at most ${maxBytes} bytes`,
  );
}

/**
 * Reads and parses a JSON object body. An empty body reads as `{}`, like common JSON body
 * parsers. Past `maxBytes` it stops buffering and refuses with 413; the rest of the body is
 * left for Node to discard, so the client still reads the answer.
 */
export function readJsonObject(
  req: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (error: ApiError | undefined): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (error !== undefined) {
        req.resume();
        reject(error);
        return;
      }
      try {
        resolve(parseBody(req, Buffer.concat(chunks, size)));
      } catch (parseError) {
        reject(parseError);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish(payloadTooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void =>
      finish(invalidRequest(ERROR_CODES.invalidBody, 'Request body could not be read'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function parseBody(req: IncomingMessage, raw: Buffer): Record<string, unknown> {
  if (raw.length === 0) return {};
  const contentType = req.headers['content-type'] ?? '';
  // Featurebase takes JSON only; a body sent as anything else is refused rather than guessed at.
  if (!/^application\/json\s*(;|$)/i.test(contentType)) {
    throw invalidRequest(
      ERROR_CODES.unsupportedContentType,
      'Request body must be sent with Content-Type: application/json',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalidRequest(ERROR_CODES.invalidJson, 'Request body is not valid JSON');
  }
  if (!isPlainObject(parsed)) {
    throw invalidRequest(ERROR_CODES.invalidBody, 'Request body must be a JSON object');
  }
  return parsed;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
