import { describe, expect, it } from "vitest";
import { parseCacheSettings } from "./settings";

describe("parseCacheSettings", () => {
  it("is off by default, per key, for ten minutes", () => {
    expect(parseCacheSettings(undefined)).toEqual({ enabled: false, ttlMs: 600_000, scope: "key" });
    expect(parseCacheSettings({ num_retries: 2 })).toEqual({ enabled: false, ttlMs: 600_000, scope: "key" });
  });

  it("reads LiteLLM's switch and cache_params", () => {
    const settings = parseCacheSettings({
      cache: true,
      cache_params: { type: "redis", ttl: 30, scope: "team" },
    });
    expect(settings).toEqual({ enabled: true, ttlMs: 30_000, scope: "team" });
  });

  it("rejects an unknown scope and a non-positive ttl", () => {
    expect(() => parseCacheSettings({ cache: true, cache_params: { scope: "everyone" } })).toThrow();
    expect(() => parseCacheSettings({ cache: true, cache_params: { ttl: 0 } })).toThrow();
  });
});
