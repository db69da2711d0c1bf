import type { KvScript } from "./script";

/**
 * The KV port: what the gateway needs from Redis (response cache, rate-limit counters, router
 * state, invalidation messages). Adapters: a TCP Redis client, Upstash at the edge, and memory.
 * Every read-modify-write goes through a `KvScript`, so it is atomic across replicas. Names are
 * relative (`keys:version`): entry points hand out the store wrapped in `prefixedKv`, which puts
 * every key and channel under the deployment's prefix.
 */
export interface Kv {
  /**
   * Keys are spread over several servers (a Redis Cluster): one script may only touch keys that
   * share a hash tag (`{...}`), and callers split work across subjects accordingly.
   */
  readonly clustered?: boolean;
  get(key: string): Promise<string | null>;
  /** Sets a value; `ttlMs` expires it. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Runs an atomic script: Lua on Redis, its JavaScript twin in memory. */
  run<R>(script: KvScript<R>, keys: readonly string[], args: readonly (string | number)[]): Promise<R>;
  publish(channel: string, message: string): Promise<void>;
  /** Calls `onMessage` for each message on `channel` until the returned function is called. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
