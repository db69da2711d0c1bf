import { z } from "zod";

/**
 * `general_settings` keys for the virtual-key cache and a database outage. Two are LiteLLM's:
 * `user_api_key_cache_ttl` (seconds a key is trusted without asking Postgres) and
 * `allow_requests_on_db_unavailable` (LiteLLM lets requests through unverified while the database
 * cannot be reached; the YAML may say `True` or name an environment variable). The `db_unavailable_*`
 * keys are ours: how long a record read before the outage keeps authorising (0: not at all), and
 * whether readiness stays 200 meanwhile.
 */
export const keyCacheSettingsSchema = z.object({
  user_api_key_cache_ttl: z.number().positive().max(3_600).default(5),
  allow_requests_on_db_unavailable: z.union([z.boolean(), z.stringbool()]).default(false),
  db_unavailable_stale_seconds: z.number().nonnegative().max(86_400).default(300),
  db_unavailable_readiness: z.enum(["degraded", "not_ready"]).default("degraded"),
});

export interface KeyCacheSettings {
  /** How long a resolved key is trusted without asking Postgres; key changes cut it short. */
  readonly ttlMs: number;
  /** While Postgres is unreachable: a record read at most this long ago still authorises. */
  readonly staleMs: number;
  /** LiteLLM's switch: while Postgres is unreachable, a key that cannot be checked is let through. */
  readonly allowUnverified: boolean;
  /** `degraded`: readiness answers 200 naming the database while the stale window lasts. */
  readonly readiness: "degraded" | "not_ready";
}

export const DEFAULT_KEY_CACHE: KeyCacheSettings = Object.freeze({
  ttlMs: 5_000,
  staleMs: 300_000,
  allowUnverified: false,
  readiness: "degraded",
});

export function toKeyCacheSettings(parsed: z.infer<typeof keyCacheSettingsSchema>): KeyCacheSettings {
  return Object.freeze({
    ttlMs: Math.round(parsed.user_api_key_cache_ttl * 1000),
    staleMs: Math.round(parsed.db_unavailable_stale_seconds * 1000),
    allowUnverified: parsed.allow_requests_on_db_unavailable,
    readiness: parsed.db_unavailable_readiness,
  });
}
