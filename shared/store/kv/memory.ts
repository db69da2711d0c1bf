import type { Kv } from "./port";
import type { KvScript, MemoryView } from "./script";

export interface MemoryKvOptions {
  /** The store's clock (ms); tests move it to expire keys. */
  readonly now?: () => number;
  /** How often expired keys nobody reads again are dropped. */
  readonly sweepIntervalMs?: number;
  /** Errors no caller sees: a subscriber that throws. */
  readonly onError?: (error: unknown) => void;
}

interface Entry {
  readonly value: string;
  readonly expiresAt: number | undefined;
}

type Handler = (message: string) => void;

/**
 * The KV store of a single process (the embedded default, and the reference the Redis adapter is
 * tested against). Keys expire lazily on access and by a periodic sweep, so memory stays bounded
 * by the live keys; messages are delivered asynchronously, as Redis delivers them.
 */
export class MemoryKv implements Kv {
  readonly #entries = new Map<string, Entry>();
  readonly #channels = new Map<string, Set<Handler>>();
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #view: MemoryView;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(options: MemoryKvOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? ((error) => console.error(error));
    this.#view = {
      get: (key) => this.#live(key)?.value ?? null,
      set: (key, value, ttlMs) => this.#put(key, value, ttlMs),
      del: (key) => {
        this.#entries.delete(key);
      },
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

  async get(key: string): Promise<string | null> {
    this.#open();
    return this.#view.get(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#open();
    // Rounded up to a positive integer, as the Redis adapter must for PX.
    this.#put(key, value, ttlMs === undefined ? undefined : Math.max(1, Math.ceil(ttlMs)));
  }

  async del(key: string): Promise<void> {
    this.#open();
    this.#entries.delete(key);
  }

  async run<R>(script: KvScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R> {
    this.#open();
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

  #put(key: string, value: string, ttlMs: number | undefined): void {
    this.#entries.set(key, { value, expiresAt: ttlMs === undefined ? undefined : this.#now() + ttlMs });
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#entries.delete(key);
    }
  }
}
