import { z } from "zod";
import type { Kv } from "./port";

/**
 * A namespace for everything a gateway keeps in a shared KV store. No `:` (so two namespaces can
 * never produce the same key: the first `:` ends the prefix) and no braces (a Redis Cluster hash
 * tag is the key's first `{...}`, see `prefixedKv`).
 */
export const kvPrefixSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
  message: "expected 1 to 64 letters, digits, '_', '.' or '-' (no ':' or braces)",
});

export const DEFAULT_KV_PREFIX = "routeiq";

/** `ROUTEIQ_REDIS_PREFIX` as every entry point reads it: blank or unset is the default. */
export const redisPrefixEnv = z.preprocess(
  (value) => (value === "" ? undefined : value),
  kvPrefixSchema.default(DEFAULT_KV_PREFIX),
);

/**
 * `kv` with every key and channel under `<prefix>:`, so gateways of different deployments can share
 * one Redis without reading each other's limits, cache or router state, or hearing each other's
 * key changes. The callers' names stay relative (`keys:version`); script keys are mapped too. A key
 * that starts with a hash tag (`{router}:e:a`) gets the prefix inside the tag
 * (`{routeiq:router}:e:a`): a namespace's tagged keys still share one cluster slot, and another
 * namespace's land elsewhere.
 */
export function prefixedKv(kv: Kv, prefix: string): Kv {
  const name = (key: string) => (key.startsWith("{") ? `{${prefix}:${key.slice(1)}` : `${prefix}:${key}`);
  return {
    clustered: kv.clustered,
    get: (key) => kv.get(name(key)),
    set: (key, value, ttlMs) => kv.set(name(key), value, ttlMs),
    del: (key) => kv.del(name(key)),
    run: (script, keys, args) => kv.run(script, keys.map(name), args),
    publish: (channel, message) => kv.publish(name(channel), message),
    subscribe: (channel, onMessage) => kv.subscribe(name(channel), onMessage),
    ping: (signal) => kv.ping(signal),
    close: () => kv.close(),
  };
}
