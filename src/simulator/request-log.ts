/**
 * What the simulator received, for tests to count upstream calls and inspect forwarded headers.
 * Held in memory only and never printed: entries contain API keys.
 */

export interface RecordedRequest {
  method: string;
  /** Without the query string, exactly as sent (not decoded). */
  path: string;
  /** The first value of each query parameter. */
  query: Record<string, string>;
  /** Lowercased names; a header sent twice is joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body for create and update, once read; `undefined` otherwise. */
  body?: unknown;
  /** The status answered; 0 while in flight, or when the socket was destroyed instead. */
  status: number;
  /** When the request arrived, in ms from the simulator's clock. */
  at: number;
}

export interface RequestFilter {
  method?: string;
  /** A string matches the path exactly; a RegExp is tested against it. */
  path?: string | RegExp;
  status?: number;
}

export class RequestLog {
  private entries: RecordedRequest[] = [];

  /** `limit` bounds memory under a benchmark: only the latest `limit` entries are kept. */
  constructor(private readonly limit: number) {}

  add(entry: RecordedRequest): void {
    if (this.limit <= 0) return;
    this.entries.push(entry);
    // Trim in batches, so the hot path does not shift the array on every request.
    if (this.entries.length >= this.limit * 2) this.entries = this.entries.slice(-this.limit);
  }

  all(): RecordedRequest[] {
    return this.entries.length > this.limit
      ? this.entries.slice(-this.limit)
      : this.entries.slice();
  }

  count(filter?: RequestFilter): number {
    if (filter === undefined) return Math.min(this.entries.length, this.limit);
    return this.all().filter((entry) => matches(entry, filter)).length;
  }

  clear(): void {
    this.entries = [];
  }
}

export function matchesPath(path: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? path === pattern : pattern.test(path);
}

function matches(entry: RecordedRequest, filter: RequestFilter): boolean {
  return (
    (filter.method === undefined || entry.method === filter.method.toUpperCase()) &&
    (filter.path === undefined || matchesPath(entry.path, filter.path)) &&
    (filter.status === undefined || entry.status === filter.status)
  );
}

/** Headers as received: lowercased names, repeated ones joined with `, `. */
export function collectHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    const previous = Object.hasOwn(headers, name) ? headers[name] : undefined;
    defineValue(headers, name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return headers;
}

/** Plain assignment would treat a name like `__proto__` as the prototype. */
export function defineValue(target: Record<string, string>, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[name] = value;
  }
}
