/**
 * TEMPORARY (replaced by the state layer's own implementation when it is merged): the shared
 * state in this process's memory, with times to live. Each operation runs in one synchronous
 * step, so it is atomic as Redis's are.
 */

import type { SharedState } from './shared-state.ts';

export class MemoryState implements SharedState {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();

  #read(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  #write(key: string, value: string, ttlMs: number): void {
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs });
  }

  async get(key: string): Promise<string | undefined> {
    return this.#read(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#write(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#read(key) !== undefined) return false;
    this.#write(key, value, ttlMs);
    return true;
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    if (this.#read(key) !== expected) return false;
    return this.#entries.delete(key);
  }

  async raiseTo(key: string, value: number, ttlMs: number): Promise<number> {
    const held = Number(this.#read(key));
    const next = Number.isFinite(held) && held > value ? held : value;
    this.#write(key, String(next), ttlMs);
    return next;
  }

  async close(): Promise<void> {
    this.#entries.clear();
  }
}
