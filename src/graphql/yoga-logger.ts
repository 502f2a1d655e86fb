import type { Logger } from 'pino';
import { expectedErrorCode } from './errors.ts';

/**
 * Yoga's own messages go to the same structured log. Yoga reports every error it masks at error
 * level; an expected one (a refused key, a Featurebase 404) is not a fault of this service, so
 * it is logged at info with its public code and no stack.
 */
export function yogaLogger(logger: Logger) {
  const log = logger.child({ component: 'yoga' });
  return {
    debug: (...args: unknown[]) => log.debug(describeArgs(args)),
    info: (...args: unknown[]) => log.info(describeArgs(args)),
    warn: (...args: unknown[]) => log.warn(describeArgs(args)),
    error: (...args: unknown[]) => {
      const described = describeArgs(args);
      const code = described.err ? expectedErrorCode(described.err) : undefined;
      if (code) log.info({ code, errorType: errorTypeOf(described.err) }, 'operation failed');
      else log.error(described);
    },
  };
}

function errorTypeOf(error: unknown): string | undefined {
  const original = error instanceof Error && 'originalError' in error ? error.originalError : error;
  return original instanceof Error ? original.name : undefined;
}

/** Only strings and errors are kept: Yoga may pass request objects, which hold headers. */
function describeArgs(args: unknown[]): { msg: string; err?: Error } {
  const err = args.find((arg): arg is Error => arg instanceof Error);
  const msg = args.filter((arg): arg is string => typeof arg === 'string').join(' ');
  return err ? { msg, err } : { msg };
}
