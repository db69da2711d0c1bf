import { z } from "zod";

/** Who may be served an answer cached for someone else. */
export const cacheScopes = ["key", "team", "global"] as const;
export type CacheScope = (typeof cacheScopes)[number];

/**
 * LiteLLM's cache switches in `litellm_settings`: `cache: true` turns the response cache on;
 * `cache_params.type` (redis, local, ...) is accepted for compatibility, the store being whatever
 * KV the gateway runs with. `scope`, `max_ttl` and `max_entry_size_mb` are ours: answers are shared
 * per virtual key unless widened, and the server bounds how long and how large an entry may be,
 * whatever a request asks for.
 */
export const cacheSettingsSchema = z.looseObject({
  cache: z.boolean().optional(),
  cache_params: z
    .looseObject({
      ttl: z.number().positive().optional(),
      max_ttl: z.number().positive().optional(),
      max_entry_size_mb: z.number().positive().optional(),
      scope: z.enum(cacheScopes).optional(),
      type: z.string().optional(),
    })
    .nullish(),
});

export interface CacheSettings {
  readonly enabled: boolean;
  /** How long an answer is kept unless the request says otherwise (never above `maxTtlMs`). */
  readonly ttlMs: number;
  /** The longest any answer is kept, whatever `ttl` a request asks for. */
  readonly maxTtlMs: number;
  /** Larger answers are served but not stored (bytes of the stored entry, UTF-8). */
  readonly maxEntryBytes: number;
  readonly scope: CacheScope;
}

const DEFAULT_TTL_SECONDS = 600;
const DEFAULT_MAX_TTL_SECONDS = 86_400;
// Large answers (big embedding batches) would cost the store more than a fresh call saves.
const DEFAULT_MAX_ENTRY_MB = 4;
const MIB = 1024 * 1024;

export const CACHE_OFF: CacheSettings = Object.freeze({
  enabled: false,
  ttlMs: DEFAULT_TTL_SECONDS * 1000,
  maxTtlMs: DEFAULT_MAX_TTL_SECONDS * 1000,
  maxEntryBytes: DEFAULT_MAX_ENTRY_MB * MIB,
  scope: "key",
});

/** Reads the cache settings from `litellm_settings` (throws a ZodError when they are invalid). */
export function parseCacheSettings(litellmSettings: unknown): CacheSettings {
  const parsed = cacheSettingsSchema.parse(litellmSettings ?? {});
  const params = parsed.cache_params;
  const maxTtlMs = Math.round((params?.max_ttl ?? DEFAULT_MAX_TTL_SECONDS) * 1000);
  return Object.freeze({
    enabled: parsed.cache === true,
    ttlMs: Math.min(maxTtlMs, Math.round((params?.ttl ?? DEFAULT_TTL_SECONDS) * 1000)),
    maxTtlMs,
    maxEntryBytes: Math.floor((params?.max_entry_size_mb ?? DEFAULT_MAX_ENTRY_MB) * MIB),
    scope: params?.scope ?? "key",
  });
}
