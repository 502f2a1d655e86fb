/**
 * The shared state of a single process: a map in memory. It is the default (no `REDIS_URL`),
 * and each instance's fallback while Redis is down (src/state/resilient-state.ts).
 *
 * Time to live, exactly: an entry written at `t` for `ttlMs` is there while `now() < t + ttlMs`
 * and gone from `t + ttlMs` on, whether or not anything has removed it yet. Expired entries are
 * removed when met, before any entry is dropped for room, and by a sweep every
 * `sweepIntervalMs` that never keeps the process alive (`unref`).
 *
 * Bounded, by construction: at most `maxEntries` entries and `maxBytes` of estimated heap
 * (`entryWeight`). When a write would go over, expired entries go first, then the **least
 * recently written** ones (every write, `raiseTo` included, makes an entry the most recent).
 * That keeps what is in use now: a lease taken a moment ago survives a flood of writes that
 * an older record (an idempotency key from hours ago) does not. (Dropping the entry closest
 * to its expiry instead would drop exactly the short leases in flight, at every write, once
 * the map is full of long records.) Losing an entry early costs what losing Redis costs: a
 * lease no longer held (one more Featurebase call), a deadline forgotten (one call Featurebase
 * refuses), a record forgotten.
 *
 * The map's order is the order of writes; a binary heap ordered by expiry, each entry knowing
 * its place in it, finds the expired ones: every write and removal costs O(log n).
 */

import {
  checkKey,
  checkNumber,
  checkTtl,
  checkValue,
  StateClosedError,
  storedNumber,
} from './arguments.ts';
import type { SharedState } from './shared-state.ts';

export interface MemoryStateOptions {
  /** Entries at most. Default 10,000 (`MEMORY_STATE_BOUNDS`). */
  maxEntries?: number;
  /** Estimated heap bytes of all entries together, at most (`entryWeight`). Default 3 MB. */
  maxBytes?: number;
  /** Milliseconds on a clock that does not jump (tests pass their own). Default `performance.now`. */
  now?: () => number;
  /** How often expired entries are swept; `0` never (they still vanish when met). Default 10 s. */
  sweepIntervalMs?: number;
}

/**
 * The defaults, in the memory budget (src/http/memory-budget.ts): 3 MB of estimated heap, about
 * 9,000 entries of the sizes the gateway writes (keys of 40-140 characters and short values are
 * estimated at 300-500 bytes; measured 190-310), and 10,000 entries at most, as many as each of
 * the upstream client's memories of keys holds. (100,000 such entries would need 20-30 MB, more
 * than the budget has room for.)
 */
export const MEMORY_STATE_BOUNDS = { maxEntries: 10_000, maxBytes: 3 * 1024 * 1024 };

/**
 * The map's slot, the entry object, the heap's slot and the two strings' headers. Measured on
 * Node 20 with 50,000 entries (heap used after collection): 190 bytes for a key and a value of
 * 10 characters each, 250 for a 33-character key and a `randomUUID()`, 310 for 135 characters;
 * rounded up so that the estimate stays above what was measured.
 */
const ENTRY_OVERHEAD_BYTES = 200;

/** Estimated heap bytes of one entry: its overhead and its text (two bytes a character at worst). */
export function entryWeight(key: string, value: string): number {
  return ENTRY_OVERHEAD_BYTES + 2 * (key.length + value.length);
}

interface Entry {
  key: string;
  value: string;
  expiresAt: number;
  weight: number;
  /** Where the entry sits in `#heap`. */
  index: number;
}

export class MemoryState implements SharedState {
  /** In the order of writes: the least recently written first. */
  readonly #entries = new Map<string, Entry>();
  /** Every entry, soonest expiry at the root. */
  readonly #heap: Entry[] = [];
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #sweeper: NodeJS.Timeout | undefined;
  #bytes = 0;
  #closed = false;

  constructor(options: MemoryStateOptions = {}) {
    this.#maxEntries = options.maxEntries ?? MEMORY_STATE_BOUNDS.maxEntries;
    this.#maxBytes = options.maxBytes ?? MEMORY_STATE_BOUNDS.maxBytes;
    this.#now = options.now ?? (() => performance.now());
    const sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    if (sweepIntervalMs > 0) {
      this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
      this.#sweeper.unref();
    }
  }

  /** Entries held (an expired one counts until it is met or swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** Estimated heap bytes of the entries held (`entryWeight`). */
  get bytes(): number {
    return this.#bytes;
  }

  async get(key: string): Promise<string | undefined> {
    this.#open();
    checkKey(key);
    return this.#live(key)?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#open();
    checkKey(key);
    checkValue(value);
    this.#write(key, value, checkTtl(ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.#open();
    checkKey(key);
    checkValue(value);
    const ttl = checkTtl(ttlMs);
    if (this.#live(key)) return false;
    this.#write(key, value, ttl);
    return true;
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    this.#open();
    checkKey(key);
    checkValue(expected);
    const entry = this.#live(key);
    if (!entry || entry.value !== expected) return false;
    this.#remove(entry);
    return true;
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<number> {
    this.#open();
    checkKey(key);
    checkNumber(value);
    const ttl = checkTtl(ttlMs);
    const entry = this.#live(key);
    const held = storedNumber(entry?.value);
    if (entry && held !== undefined && held >= value) {
      // The number stays; its time to live only ever grows.
      const expiresAt = this.#now() + ttl;
      if (expiresAt > entry.expiresAt) this.#reschedule(entry, expiresAt);
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      return held;
    }
    const remaining = entry ? entry.expiresAt - this.#now() : 0;
    this.#write(key, String(value), Math.max(ttl, remaining));
    return value;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#entries.clear();
    this.#heap.length = 0;
    this.#bytes = 0;
  }

  /** Removes every expired entry now (the periodic sweep). */
  sweep(): void {
    const now = this.#now();
    for (let root = this.#heap[0]; root && root.expiresAt <= now; root = this.#heap[0]) {
      this.#remove(root);
    }
  }

  #open(): void {
    if (this.#closed) throw new StateClosedError();
  }

  /** The entry under `key` unless it has expired (then it is removed). */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > this.#now()) return entry;
    this.#remove(entry);
    return undefined;
  }

  #write(key: string, value: string, ttlMs: number): void {
    const expiresAt = this.#now() + ttlMs;
    const existing = this.#entries.get(key);
    if (existing) this.#remove(existing);
    const entry: Entry = {
      key: inOnePiece(key),
      value: inOnePiece(value),
      expiresAt,
      weight: entryWeight(key, value),
      index: this.#heap.length,
    };
    this.#makeRoomFor(entry.weight);
    this.#entries.set(key, entry);
    this.#heap.push(entry);
    this.#bytes += entry.weight;
    this.#siftUp(entry.index);
  }

  /** Expired entries first, then the least recently written. */
  #makeRoomFor(weight: number): void {
    this.sweep();
    for (const oldest of this.#entries.values()) {
      if (this.#entries.size < this.#maxEntries && this.#bytes + weight <= this.#maxBytes) break;
      this.#remove(oldest);
    }
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    this.#bytes -= entry.weight;
    const last = this.#heap.pop();
    if (!last || last === entry) return;
    this.#heap[entry.index] = last;
    last.index = entry.index;
    this.#siftDown(this.#siftUp(last.index));
  }

  #reschedule(entry: Entry, expiresAt: number): void {
    entry.expiresAt = expiresAt;
    this.#siftDown(this.#siftUp(entry.index));
  }

  /** Moves the entry at `index` towards the root while it expires sooner; returns where it ends. */
  #siftUp(index: number): number {
    const heap = this.#heap;
    const entry = heap[index];
    if (!entry) return index;
    let at = index;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = heap[parentAt];
      if (!parent || parent.expiresAt <= entry.expiresAt) break;
      heap[at] = parent;
      parent.index = at;
      at = parentAt;
    }
    heap[at] = entry;
    entry.index = at;
    return at;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const entry = heap[index];
    if (!entry) return;
    let at = index;
    for (;;) {
      const leftAt = 2 * at + 1;
      const left = heap[leftAt];
      if (!left) break;
      const right = heap[leftAt + 1];
      const [childAt, child] =
        right && right.expiresAt < left.expiresAt ? [leftAt + 1, right] : [leftAt, left];
      if (child.expiresAt >= entry.expiresAt) break;
      heap[at] = child;
      child.index = at;
      at = childAt;
    }
    heap[at] = entry;
    entry.index = at;
  }
}

/**
 * The same text, kept in one piece. A string built by concatenation is a tree of pieces until
 * V8 flattens it (a `randomUUID()` is built of some twenty), and a key or value kept for hours
 * would keep the whole tree; reading it as a number makes V8 flatten it in place. Measured, a
 * lease's key and a `randomUUID()` in a map: 630 bytes a pair as given, 200 flattened. (Were V8
 * to stop flattening here, only the estimate of `entryWeight` would be low; `maxEntries` holds.)
 */
function inOnePiece(text: string): string {
  Number(text);
  return text;
}
