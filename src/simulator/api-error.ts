/**
 * A refusal in Featurebase's documented error shape. Handlers throw it; the simulator turns it
 * into `{ error: { type, code, message, param?, status } }` in one place.
 */

import type { WireErrorBody, WireErrorType } from '../upstream/wire.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: WireErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
    /** Extra response headers, e.g. `Allow` on a 405 or `Retry-After` on a 429. */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }

  toBody(): WireErrorBody {
    // Key order follows the documented example: type, code, message, param, status.
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param === undefined ? {} : { param: this.param }),
        status: this.status,
      },
    };
  }
}

/** 400 `invalid_request_error`: the usual answer to a bad parameter. */
export function invalidRequest(code: string, message: string, param?: string): ApiError {
  return new ApiError(400, 'invalid_request_error', code, message, param);
}

export function webhookNotFound(): ApiError {
  return new ApiError(
    404,
    'invalid_request_error',
    'resource_not_found',
    'Webhook not found',
    'id',
  );
}
