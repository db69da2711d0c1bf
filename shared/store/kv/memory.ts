import type { Kv } from "./port";
import type { KvScript, MemoryView } from "./script";

export interface MemoryKvOptions {
  /** The store's clock (ms); tests move it to expire keys. */
  readonly now?: () => number;
  /** How often expired keys nobody reads again are dropped. */
  readonly sweepIntervalMs?: number;
  /** Errors no caller sees: a subscriber that throws. */
  readonly onError?: (error: unknown) => void;
  /**
   * The most memory the keys may take (as counted by `entryBytes`); unbounded when unset. Past it,
   * the least recently used keys that have a TTL are evicted, as Redis's `volatile-lru` does.
   */
  readonly maxBytes?: number;
  /** Keys evicted to stay under `maxBytes`, reported once per write that evicted any. */
  readonly onEvict?: (count: number) => void;
}

interface Entry {
  readonly value: string;
  readonly expiresAt: number | undefined;
  readonly bytes: number;
}

type Handler = (message: string) => void;

// What V8 and the two maps spend on one key beyond its characters, rounded up.
const ENTRY_OVERHEAD_BYTES = 96;

/** An upper bound on what a key takes: JavaScript strings use at most two bytes a character. */
export const entryBytes = (key: string, value: string): number =>
  2 * (key.length + value.length) + ENTRY_OVERHEAD_BYTES;

/**
 * The KV store of a single process (the embedded default, and the reference the Redis adapter is
 * tested against). Keys expire lazily on access and by a periodic sweep; messages are delivered
 * asynchronously, as Redis delivers them.
 *
 * With `maxBytes`, memory is bounded the way Redis bounds it under `maxmemory-policy volatile-lru`:
 * before each write, the least recently used keys that have a TTL (cache entries, counters that
 * expire) are evicted until the store is under its bound. Keys without a TTL are never evicted, so
 * state kept that way (rate-limit state) survives; when only they are left and the store is still
 * full, writes fail as Redis's do ("OOM command not allowed") and reads go on.
 */
export class MemoryKv implements Kv {
  readonly #entries = new Map<string, Entry>();
  /** The keys with a TTL, least recently used first (a Set keeps insertion order). */
  readonly #evictable = new Set<string>();
  readonly #channels = new Map<string, Set<Handler>>();
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #maxBytes: number;
  readonly #onEvict: ((count: number) => void) | undefined;
  readonly #view: MemoryView;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #bytes = 0;
  #closed = false;

  constructor(options: MemoryKvOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.#onEvict = options.onEvict;
    this.#view = {
      get: (key) => this.#live(key)?.value ?? null,
      set: (key, value, ttlMs) => this.#put(key, value, ttlMs),
      del: (key) => this.#remove(key),
      pttl: (key) => {
        const entry = this.#live(key);
        if (entry === undefined) return -2;
        return entry.expiresAt === undefined ? -1 : entry.expiresAt - this.#now();
      },
      pexpire: (key, ttlMs) => {
        const entry = this.#live(key);
        if (entry !== undefined) this.#put(key, entry.value, ttlMs);
      },
      now: () => this.#now(),
    };
    this.#sweeper = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? 10_000);
    // The sweep is housekeeping: it must not keep a process (or a test run) alive.
    (this.#sweeper as { unref?: () => void }).unref?.();
  }

  /** What the keys take now, as counted against `maxBytes`. */
  get usedBytes(): number {
    return this.#bytes;
  }

  async get(key: string): Promise<string | null> {
    this.#open();
    return this.#view.get(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#open();
    this.#makeRoom();
    // Rounded up to a positive integer, as the Redis adapter must for PX.
    this.#put(key, value, ttlMs === undefined ? undefined : Math.max(1, Math.ceil(ttlMs)));
  }

  async del(key: string): Promise<void> {
    this.#open();
    this.#remove(key);
  }

  async run<R>(script: KvScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    this.#open();
    // Redis refuses a script that may write while it is full, before running any of it.
    this.#makeRoom();
    // Redis hands Lua every ARGV as a string; so does the twin.
    return script.parse(script.memory(this.#view, keys, args.map(String)));
  }

  async publish(channel: string, message: string): Promise<void> {
    this.#open();
    for (const handler of this.#channels.get(channel) ?? []) {
      queueMicrotask(() => {
        // Unsubscribed between publish and delivery: Redis would not deliver either.
        if (!this.#channels.get(channel)?.has(handler)) return;
        try {
          handler(message);
        } catch (error) {
          this.#onError(error);
        }
      });
    }
  }

  async subscribe(channel: string, onMessage: Handler): Promise<() => Promise<void>> {
    this.#open();
    // A wrapper per call, so subscribing one function twice needs two unsubscribes, as with Redis clients.
    const handler: Handler = (message) => onMessage(message);
    const handlers = this.#channels.get(channel) ?? new Set<Handler>();
    handlers.add(handler);
    this.#channels.set(channel, handlers);
    return async () => {
      handlers.delete(handler);
      if (handlers.size === 0 && this.#channels.get(channel) === handlers) this.#channels.delete(channel);
    };
  }

  async ping(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#channels.clear();
  }

  #open(): void {
    if (this.#closed) throw new Error("kv store is closed");
  }

  /**
   * Before a write, as Redis does: evicts least recently used keys with a TTL while the store is
   * over its bound, and refuses the write if it still is. A write may take the store past its bound
   * by its own size; the next one brings it back.
   */
  #makeRoom(): void {
    if (this.#bytes <= this.#maxBytes) return;
    let evicted = 0;
    for (const key of this.#evictable) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#remove(key);
      evicted += 1;
    }
    if (evicted > 0) this.#onEvict?.(evicted);
    if (this.#bytes > this.#maxBytes) {
      throw new Error(
        `OOM command not allowed: the memory kv store holds ${this.#bytes} bytes, over its ${this.#maxBytes}, and only keys without a TTL are left`,
      );
    }
  }

  #put(key: string, value: string, ttlMs: number | undefined): void {
    this.#remove(key);
    const bytes = entryBytes(key, value);
    const expiresAt = ttlMs === undefined ? undefined : this.#now() + ttlMs;
    this.#entries.set(key, { value, expiresAt, bytes });
    this.#bytes += bytes;
    if (expiresAt !== undefined) this.#evictable.add(key);
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#evictable.delete(key);
    this.#bytes -= entry.bytes;
  }

  /** The key's entry unless it has expired; a read makes it the most recently used. */
  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expiresAt === undefined) return entry;
    if (entry.expiresAt <= this.#now()) {
      this.#remove(key);
      return undefined;
    }
    this.#evictable.delete(key);
    this.#evictable.add(key);
    return entry;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#remove(key);
    }
  }
}
