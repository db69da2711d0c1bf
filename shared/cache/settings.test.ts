import { describe, expect, it } from "vitest";
import { cacheParamsWarnings, cacheSettingsSchema, parseCacheSettings } from "./settings";

const defaults = {
  ttlMs: 600_000,
  maxTtlMs: 86_400_000,
  maxEntryBytes: 4 * 1024 * 1024,
  scope: "key",
  namespace: "cache",
  endpoints: ["chat", "completions", "embeddings", "messages", "responses"],
  store: { type: "default" },
};

describe("parseCacheSettings", () => {
  it("is off by default, per key, for ten minutes, at most a day and 4 MiB an entry", () => {
    expect(parseCacheSettings(undefined)).toEqual({ enabled: false, ...defaults });
    expect(parseCacheSettings({ num_retries: 2 })).toEqual({ enabled: false, ...defaults });
  });

  it("reads LiteLLM's switch and cache_params", () => {
    const settings = parseCacheSettings({
      cache: true,
      cache_params: { type: "redis", ttl: 30, scope: "team", max_ttl: 3600, max_entry_size_mb: 0.5 },
    });
    expect(settings).toEqual({
      ...defaults,
      enabled: true,
      ttlMs: 30_000,
      maxTtlMs: 3_600_000,
      maxEntryBytes: 512 * 1024,
      scope: "team",
      store: { type: "redis", server: undefined },
    });
  });

  const params = (cache_params: Record<string, unknown>) => parseCacheSettings({ cache: true, cache_params });

  it("reads LiteLLM's Redis server for the cache: host, port (a number or a string), password, ssl", () => {
    expect(
      params({ type: "redis", host: "cache.internal", port: "6380", password: "pw", ssl: true }).store,
    ).toEqual({
      type: "redis",
      server: { host: "cache.internal", port: 6380, password: "pw", tls: true },
    });
    // A host alone means Redis, on its default port, without AUTH, with the gateway's TLS setting.
    expect(params({ host: "cache.internal" }).store).toEqual({
      type: "redis",
      server: { host: "cache.internal", port: 6379, password: undefined, tls: undefined },
    });
    expect(params({ type: "local", host: "ignored" }).store).toEqual({ type: "local" });
  });

  const problemsOf = (cache_params: Record<string, unknown>): string[] => {
    const parsed = cacheSettingsSchema.safeParse({ cache: true, cache_params });
    return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  };

  it("refuses the caches RouteIQ does not have, saying what it supports, and never echoes other values", () => {
    for (const type of ["s3", "redis-semantic", "qdrant-semantic", "disk", "gcs"]) {
      expect(problemsOf({ type })).toEqual([
        `"${type}" is not supported: RouteIQ caches exact matches only; expected "redis" (the gateway's Redis, or the one cache_params.host names) or "local" (this process's memory)`,
      ]);
    }
    expect(problemsOf({ type: "sk-looks-like-a-secret" })).toEqual([
      `unsupported cache type; expected "redis" (the gateway's Redis, or the one cache_params.host names) or "local" (this process's memory)`,
    ]);
  });

  it("refuses bad ports and namespaces that could reach outside the cache's keys", () => {
    for (const port of [0, 70_000, "x", 1.5])
      expect(problemsOf({ host: "h", port })).toEqual([expect.stringMatching(/port number/)]);
    expect(problemsOf({ redis_startup_nodes: [{ host: "h", port: 0 }] })).toEqual([
      expect.stringMatching(/port number/),
    ]);
    expect(problemsOf({ redis_startup_nodes: [] })).toHaveLength(1);
    for (const namespace of ["", "{router}", "a b"])
      expect(problemsOf({ namespace })).toEqual([
        expect.stringMatching(/^expected 1 to 128 letters, digits/),
      ]);
  });

  it("maps LiteLLM's supported_call_types to the routes they name; none at all caches nothing", () => {
    expect(params({}).endpoints).toEqual(["chat", "completions", "embeddings", "messages", "responses"]);
    expect(
      params({ supported_call_types: ["acompletion", "atext_completion", "aembedding", "atranscription"] })
        .endpoints,
    ).toEqual(["chat", "completions", "embeddings"]);
    expect(
      params({ supported_call_types: ["embedding", "anthropic_messages", "aresponses"] }).endpoints,
    ).toEqual(["embeddings", "messages", "responses"]);
    expect(params({ supported_call_types: [] }).endpoints).toEqual([]);
    expect(() => params({ supported_call_types: ["acompletions"] })).toThrow(/expected one of/);
  });

  it("warns about what it leaves aside: call types for routes it lacks, server fields without a host", () => {
    expect(
      cacheParamsWarnings({
        cache: true,
        cache_params: {
          port: 6380,
          password: "pw",
          supported_call_types: ["acompletion", "arerank", "aresponses", "atranscription"],
        },
      }),
    ).toEqual([
      "litellm_settings.cache_params.port: used only with litellm_settings.cache_params.host; without it the cache uses the gateway's own Redis, ignored",
      "litellm_settings.cache_params.password: used only with litellm_settings.cache_params.host; without it the cache uses the gateway's own Redis, ignored",
      'litellm_settings.cache_params.supported_call_types[1]: "arerank" (/rerank) is not a RouteIQ route, ignored',
      'litellm_settings.cache_params.supported_call_types[3]: "atranscription" (/audio/transcriptions) is not a RouteIQ route, ignored',
    ]);
    expect(cacheParamsWarnings({ cache: true, cache_params: { type: "local", host: "h" } })).toEqual([
      'litellm_settings.cache_params.host: applies to type "redis" only, ignored',
    ]);
    expect(cacheParamsWarnings({ cache: true, cache_params: { host: "h", password: "pw" } })).toEqual([]);
    expect(
      cacheParamsWarnings({
        cache: true,
        cache_params: { redis_startup_nodes: [{ host: "h", port: 7000 }], password: "pw", ssl: true },
      }),
    ).toEqual([]);
    expect(cacheParamsWarnings(undefined)).toEqual([]);
  });

  it("holds the default ttl to max_ttl", () => {
    expect(parseCacheSettings({ cache: true, cache_params: { ttl: 31_536_000 } }).ttlMs).toBe(86_400_000);
    expect(parseCacheSettings({ cache: true, cache_params: { ttl: 120, max_ttl: 60 } }).ttlMs).toBe(60_000);
  });

  it("rejects an unknown scope and non-positive ttls and sizes", () => {
    expect(() => parseCacheSettings({ cache: true, cache_params: { scope: "everyone" } })).toThrow();
    expect(() => parseCacheSettings({ cache: true, cache_params: { ttl: 0 } })).toThrow();
    expect(() => parseCacheSettings({ cache: true, cache_params: { max_ttl: -1 } })).toThrow();
    expect(() => parseCacheSettings({ cache: true, cache_params: { max_entry_size_mb: 0 } })).toThrow();
  });
});
