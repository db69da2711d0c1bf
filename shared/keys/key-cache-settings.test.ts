import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, loadConfig } from "../config/load";

const keyCacheOf = (general_settings: Record<string, unknown>, env = {}) =>
  loadConfig(stringify({ general_settings }), env, "test.yaml").config.keyCache;

describe("general_settings for the key cache and a database outage", () => {
  it("defaults to a 5 s cache, a 5 min stale window, refusing unverified keys, readiness degraded", () => {
    expect(keyCacheOf({})).toEqual({
      ttlMs: 5_000,
      staleMs: 300_000,
      allowUnverified: false,
      readiness: "degraded",
    });
  });

  it("reads LiteLLM's keys, the string forms LiteLLM accepts included, and ours", () => {
    expect(
      keyCacheOf(
        {
          user_api_key_cache_ttl: 1,
          allow_requests_on_db_unavailable: "os.environ/ALLOW_DB_DOWN",
          db_unavailable_stale_seconds: 0,
          db_unavailable_readiness: "not_ready",
        },
        { ALLOW_DB_DOWN: "True", ROUTEIQ_CONFIG_ENV_ALLOWLIST: "ALLOW_DB_DOWN" },
      ),
    ).toEqual({ ttlMs: 1_000, staleMs: 0, allowUnverified: true, readiness: "not_ready" });
  });

  it("refuses values out of range, naming the key", () => {
    const problems = (general_settings: Record<string, unknown>) => {
      try {
        keyCacheOf(general_settings);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems.join("; ");
      }
      throw new Error("expected the config to be refused");
    };
    expect(problems({ user_api_key_cache_ttl: 0 })).toContain("general_settings.user_api_key_cache_ttl");
    expect(problems({ db_unavailable_stale_seconds: -1 })).toContain(
      "general_settings.db_unavailable_stale_seconds",
    );
    expect(problems({ allow_requests_on_db_unavailable: "maybe" })).toContain(
      "general_settings.allow_requests_on_db_unavailable",
    );
    expect(problems({ db_unavailable_readiness: "strict" })).toContain(
      "general_settings.db_unavailable_readiness",
    );
  });
});
