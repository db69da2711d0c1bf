import { z } from "zod";

/** Who may be served an answer cached for someone else. */
export const cacheScopes = ["key", "team", "global"] as const;
export type CacheScope = (typeof cacheScopes)[number];

/**
 * LiteLLM's cache switches in `litellm_settings`: `cache: true` turns the response cache on;
 * `cache_params.type` (redis, local, ...) is accepted for compatibility, the store being whatever
 * KV the gateway runs with. `scope` is ours: answers are shared per virtual key unless widened.
 */
export const cacheSettingsSchema = z.looseObject({
  cache: z.boolean().optional(),
  cache_params: z
    .looseObject({
      ttl: z.number().positive().optional(),
      scope: z.enum(cacheScopes).optional(),
      type: z.string().optional(),
    })
    .nullish(),
});

export interface CacheSettings {
  readonly enabled: boolean;
  readonly ttlMs: number;
  readonly scope: CacheScope;
}

const DEFAULT_TTL_SECONDS = 600;

export const CACHE_OFF: CacheSettings = Object.freeze({
  enabled: false,
  ttlMs: DEFAULT_TTL_SECONDS * 1000,
  scope: "key",
});

/** Reads the cache settings from `litellm_settings` (throws a ZodError when they are invalid). */
export function parseCacheSettings(litellmSettings: unknown): CacheSettings {
  const parsed = cacheSettingsSchema.parse(litellmSettings ?? {});
  return Object.freeze({
    enabled: parsed.cache === true,
    ttlMs: Math.round((parsed.cache_params?.ttl ?? DEFAULT_TTL_SECONDS) * 1000),
    scope: parsed.cache_params?.scope ?? "key",
  });
}
