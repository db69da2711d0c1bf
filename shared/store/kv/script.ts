/**
 * An atomic KV operation declared once with two bodies: Lua for Redis (run with EVALSHA) and a
 * JavaScript twin for the in-memory store, which must behave identically (tests run both).
 *
 * The memory body receives a tiny Redis-like view of the data so both bodies read alike.
 */
export interface MemoryView {
  get(key: string): string | null;
  set(key: string, value: string, ttlMs?: number): void;
  del(key: string): void;
  /** Remaining time to live in ms, -1 without expiry, -2 when the key does not exist (as PTTL). */
  pttl(key: string): number;
  pexpire(key: string, ttlMs: number): void;
  /** Current time in ms (the memory store's clock, so tests can move it). */
  now(): number;
}

export interface KvScript<R> {
  readonly name: string;
  /** Lua source; KEYS and ARGV as usual. Use `redis.call('TIME')` for the clock, never the caller's. */
  readonly lua: string;
  /** Converts the raw Redis reply (numbers, strings, arrays) into R. */
  readonly parse: (reply: unknown) => R;
  readonly memory: (view: MemoryView, keys: readonly string[], args: readonly string[]) => unknown;
}
