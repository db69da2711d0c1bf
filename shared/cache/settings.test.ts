import { describe, expect, it } from "vitest";
import { parseCacheSettings } from "./settings";

const defaults = { ttlMs: 600_000, maxTtlMs: 86_400_000, maxEntryBytes: 4 * 1024 * 1024, scope: "key" };

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
      enabled: true,
      ttlMs: 30_000,
      maxTtlMs: 3_600_000,
      maxEntryBytes: 512 * 1024,
      scope: "team",
    });
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
