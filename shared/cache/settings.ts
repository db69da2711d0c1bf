import { z } from "zod";

/** Who may be served an answer cached for someone else. */
export const cacheScopes = ["key", "team", "global"] as const;
export type CacheScope = (typeof cacheScopes)[number];

/** The routes whose answers can be cached. */
export const cachedEndpoints = Object.freeze([
  "chat",
  "completions",
  "embeddings",
  "messages",
  "responses",
] as const);
export type CachedEndpoint = (typeof cachedEndpoints)[number];

/**
 * LiteLLM's `supported_call_types`, each with the RouteIQ route it names, or (starting with `/`)
 * the LiteLLM route RouteIQ does not serve: those are accepted, since LiteLLM's documented example
 * lists `atranscription`, and warned about.
 */
const CALL_TYPES = Object.freeze({
  completion: "chat",
  acompletion: "chat",
  text_completion: "completions",
  atext_completion: "completions",
  embedding: "embeddings",
  aembedding: "embeddings",
  anthropic_messages: "messages",
  aanthropic_messages: "messages",
  transcription: "/audio/transcriptions",
  atranscription: "/audio/transcriptions",
  rerank: "/rerank",
  arerank: "/rerank",
  responses: "responses",
  aresponses: "responses",
} satisfies Record<string, CachedEndpoint | `/${string}`>);
type CallType = keyof typeof CALL_TYPES;
const callTypes = Object.keys(CALL_TYPES) as [CallType, ...CallType[]];

/** LiteLLM's cache types RouteIQ does not implement: named in the refusal, unlike an arbitrary value. */
const UNSUPPORTED_TYPES: ReadonlySet<unknown> = new Set([
  "redis-semantic",
  "valkey-semantic",
  "qdrant-semantic",
  "s3",
  "gcs",
  "azure-blob",
  "disk",
]);

const SUPPORTED =
  'expected "redis" (the gateway\'s Redis, or the one cache_params.host names) or "local" (this process\'s memory)';

const cacheType = z.enum(["redis", "local"], {
  // An arbitrary value is not echoed: it may have been read from the environment.
  error: (issue) =>
    UNSUPPORTED_TYPES.has(issue.input)
      ? `"${issue.input}" is not supported: RouteIQ caches exact matches only; ${SUPPORTED}`
      : `unsupported cache type; ${SUPPORTED}`,
});

const notAPort = { error: "expected a port number (1-65535)" };
// LiteLLM's docs write the port as a string, and one read from the environment is one.
const port = z
  .union([z.number(), z.string().regex(/^\d+$/, notAPort)], notAPort)
  .transform(Number)
  .pipe(z.number().int(notAPort).min(1, notAPort).max(65535, notAPort));

/** Where answers are kept; chosen at start, so a reload that changes it takes effect at restart. */
export type CacheStore =
  /** `type` unset: the gateway's KV store (Redis when configured, else this process's memory). */
  | { readonly type: "default" }
  /** This process's memory, even when the gateway has Redis. */
  | { readonly type: "local" }
  /** `server` unset: the gateway's own Redis. */
  | { readonly type: "redis"; readonly server: CacheRedisServer | undefined };

export interface CacheRedisServer {
  /** The first of `clusterNodes` when there are some. */
  readonly host: string;
  readonly port: number;
  /** A Redis Cluster's startup nodes (`redis_startup_nodes`, LiteLLM's name). */
  readonly clusterNodes?: readonly { readonly host: string; readonly port: number }[];
  readonly password: string | undefined;
  /** Unset: as the gateway's Redis (`REDIS_TLS`), as LiteLLM reads `REDIS_SSL`. */
  readonly tls: boolean | undefined;
}

const SERVER_FIELDS = ["host", "port", "password", "ssl"] as const;

/**
 * LiteLLM's cache switches in `litellm_settings`: `cache: true` turns the response cache on;
 * `cache_params` says where (`type`, `host`, `port`, `password`, `ssl`), under which key prefix
 * (`namespace`), for how long (`ttl`) and for which routes (`supported_call_types`). `scope`,
 * `max_ttl` and `max_entry_size_mb` are ours: answers are shared per virtual key unless widened,
 * and the server bounds how long and how large an entry may be, whatever a request asks for.
 */
export const cacheSettingsSchema = z.looseObject({
  cache: z.boolean().optional(),
  cache_params: z
    .looseObject({
      ttl: z.number().positive().optional(),
      max_ttl: z.number().positive().optional(),
      max_entry_size_mb: z.number().positive().optional(),
      scope: z.enum(cacheScopes).optional(),
      type: cacheType.optional(),
      host: z.string().min(1).optional(),
      port: port.optional(),
      password: z.string().min(1).optional(),
      ssl: z.union([z.boolean(), z.stringbool()]).optional(),
      redis_startup_nodes: z
        .array(z.object({ host: z.string().min(1), port }))
        .min(1)
        .optional(),
      namespace: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/, {
          error: "expected 1 to 128 letters, digits, '_', '.', ':' or '-'",
        })
        .optional(),
      supported_call_types: z.array(z.enum(callTypes)).optional(),
    })
    .nullish(),
});

type ParsedParams = NonNullable<z.infer<typeof cacheSettingsSchema>["cache_params"]>;

export interface CacheSettings {
  readonly enabled: boolean;
  /** How long an answer is kept unless the request says otherwise (never above `maxTtlMs`). */
  readonly ttlMs: number;
  /** The longest any answer is kept, whatever `ttl` a request asks for. */
  readonly maxTtlMs: number;
  /** Larger answers are served but not stored (bytes of the stored entry, UTF-8). */
  readonly maxEntryBytes: number;
  readonly scope: CacheScope;
  /** Entries are `<namespace>:<hash>`, inside the gateway's own key prefix. */
  readonly namespace: string;
  /** The routes answers are cached for (`supported_call_types`; all of them by default). */
  readonly endpoints: readonly CachedEndpoint[];
  readonly store: CacheStore;
}

const DEFAULT_TTL_SECONDS = 600;
const DEFAULT_MAX_TTL_SECONDS = 86_400;
// Large answers (big embedding batches) would cost the store more than a fresh call saves.
const DEFAULT_MAX_ENTRY_MB = 4;
const MIB = 1024 * 1024;
const DEFAULT_NAMESPACE = "cache";
const DEFAULT_REDIS_PORT = 6379;

export const CACHE_OFF: CacheSettings = Object.freeze({
  enabled: false,
  ttlMs: DEFAULT_TTL_SECONDS * 1000,
  maxTtlMs: DEFAULT_MAX_TTL_SECONDS * 1000,
  maxEntryBytes: DEFAULT_MAX_ENTRY_MB * MIB,
  scope: "key",
  namespace: DEFAULT_NAMESPACE,
  endpoints: cachedEndpoints,
  store: Object.freeze({ type: "default" }),
});

function storeOf(params: ParsedParams | null | undefined): CacheStore {
  if (params?.type === "local") return { type: "local" };
  const nodes = params?.redis_startup_nodes;
  if (nodes !== undefined) {
    const [first] = nodes as [{ host: string; port: number }];
    return {
      type: "redis",
      server: { ...first, clusterNodes: nodes, password: params?.password, tls: params?.ssl },
    };
  }
  if (params?.host !== undefined) {
    return {
      type: "redis",
      server: {
        host: params.host,
        port: params.port ?? DEFAULT_REDIS_PORT,
        password: params.password,
        tls: params.ssl,
      },
    };
  }
  return params?.type === "redis" ? { type: "redis", server: undefined } : { type: "default" };
}

function endpointsOf(names: readonly CallType[] | undefined): readonly CachedEndpoint[] {
  if (names === undefined) return cachedEndpoints;
  const named = new Set(names.map((name) => CALL_TYPES[name]));
  return cachedEndpoints.filter((endpoint) => named.has(endpoint));
}

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
    namespace: params?.namespace ?? DEFAULT_NAMESPACE,
    endpoints: Object.freeze(endpointsOf(params?.supported_call_types)),
    store: Object.freeze(storeOf(params)),
  });
}

/** What valid `cache_params` ask for that RouteIQ leaves aside, one line each, for the config warnings. */
export function cacheParamsWarnings(litellmSettings: unknown): string[] {
  const params = cacheSettingsSchema.parse(litellmSettings ?? {}).cache_params;
  if (params === null || params === undefined) return [];
  const at = "litellm_settings.cache_params";
  const warnings: string[] = [];
  const unused = (field: string, why: string) => warnings.push(`${at}.${field}: ${why}, ignored`);
  for (const field of SERVER_FIELDS) {
    if (params[field] === undefined) continue;
    if (params.type === "local") unused(field, `applies to type "redis" only`);
    else if (params.host === undefined && params.redis_startup_nodes === undefined)
      unused(field, `used only with ${at}.host; without it the cache uses the gateway's own Redis`);
  }
  params.supported_call_types?.forEach((name, index) => {
    const route = CALL_TYPES[name];
    if (route.startsWith("/"))
      warnings.push(
        `${at}.supported_call_types[${index}]: "${name}" (${route}) is not a RouteIQ route, ignored`,
      );
  });
  return warnings;
}
