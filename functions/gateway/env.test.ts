import { describe, expect, it } from "vitest";
import { configPathFrom, parseNodeEnv } from "./env";

describe("parseNodeEnv", () => {
  it("defaults to port 4000 with a 30 s drain; HOST unset is decided with the master key (listen-host.ts)", () => {
    expect(parseNodeEnv({})).toEqual({
      PORT: 4000,
      ROUTEIQ_DRAIN_TIMEOUT_SECONDS: 30,
      ROUTEIQ_UPSTREAM_CONNECTIONS: 256,
      ROUTEIQ_MEMORY_KV_MAX_MB: 64,
      ROUTEIQ_REDIS_PREFIX: "routeiq",
    });
    expect(parseNodeEnv({ HOST: "" }).HOST).toBeUndefined();
  });

  it("namespaces Redis under ROUTEIQ_REDIS_PREFIX, routeiq when unset or blank", () => {
    expect(parseNodeEnv({ ROUTEIQ_REDIS_PREFIX: "acme-prod" }).ROUTEIQ_REDIS_PREFIX).toBe("acme-prod");
    expect(parseNodeEnv({ ROUTEIQ_REDIS_PREFIX: "" }).ROUTEIQ_REDIS_PREFIX).toBe("routeiq");
  });

  it("refuses a LITELLM_SALT_KEY short enough to guess, naming it and what it needs", () => {
    expect(() => parseNodeEnv({ LITELLM_SALT_KEY: "sk-1234" })).toThrow(
      /LITELLM_SALT_KEY.*at least 32 characters/,
    );
    const secret = "0123456789abcdef0123456789abcdef";
    expect(parseNodeEnv({ LITELLM_SALT_KEY: secret }).LITELLM_SALT_KEY).toBe(secret);
  });

  it("reads the explicit opt-out for a gateway without a master key", () => {
    expect(parseNodeEnv({ ROUTEIQ_ALLOW_NO_MASTER_KEY: "true" }).ROUTEIQ_ALLOW_NO_MASTER_KEY).toBe(true);
    expect(parseNodeEnv({ ROUTEIQ_ALLOW_NO_MASTER_KEY: "false" }).ROUTEIQ_ALLOW_NO_MASTER_KEY).toBe(false);
  });

  it("reads numbers from their string values and ignores unrelated variables", () => {
    const env = parseNodeEnv({
      PORT: "8080",
      HOST: "127.0.0.1",
      LITELLM_CONFIG_PATH: "/etc/routeiq/config.yaml",
      ROUTEIQ_DRAIN_TIMEOUT_SECONDS: "2.5",
      ROUTEIQ_UPSTREAM_CONNECTIONS: "16",
      ROUTEIQ_MEMORY_KV_MAX_MB: "8",
      DATABASE_POOL_MAX: "4",
      PATH: "/usr/bin",
    });
    expect(env).toEqual({
      PORT: 8080,
      HOST: "127.0.0.1",
      LITELLM_CONFIG_PATH: "/etc/routeiq/config.yaml",
      ROUTEIQ_DRAIN_TIMEOUT_SECONDS: 2.5,
      ROUTEIQ_UPSTREAM_CONNECTIONS: 16,
      ROUTEIQ_MEMORY_KV_MAX_MB: 8,
      DATABASE_POOL_MAX: 4,
      ROUTEIQ_REDIS_PREFIX: "routeiq",
    });
  });

  it("accepts PORT=0 (any free port)", () => {
    expect(parseNodeEnv({ PORT: "0" }).PORT).toBe(0);
  });

  it.each([
    ["PORT", "abc"],
    ["PORT", "70000"],
    ["PORT", "-1"],
    ["ROUTEIQ_DRAIN_TIMEOUT_SECONDS", "soon"],
    ["ROUTEIQ_UPSTREAM_CONNECTIONS", "0"],
    ["DATABASE_POOL_MAX", "0"],
    ["DATABASE_POOL_MAX", "many"],
    ["ROUTEIQ_MEMORY_KV_MAX_MB", "0"],
    ["ROUTEIQ_ALLOW_NO_MASTER_KEY", "sure"],
    ["ROUTEIQ_REDIS_PREFIX", "acme:prod"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    expect(() => parseNodeEnv({ [name]: value })).toThrow(
      new RegExp(`^invalid environment:\\n  - ${name}: `),
    );
  });

  it("lists every bad variable at once", () => {
    let message = "";
    try {
      parseNodeEnv({ PORT: "abc", ROUTEIQ_UPSTREAM_CONNECTIONS: "many" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("PORT: ");
    expect(message).toContain("ROUTEIQ_UPSTREAM_CONNECTIONS: ");
  });
});

describe("configPathFrom", () => {
  const withPath = parseNodeEnv({ LITELLM_CONFIG_PATH: "/from/env.yaml" });
  const withoutPath = parseNodeEnv({});

  it("prefers --config PATH over LITELLM_CONFIG_PATH", () => {
    expect(configPathFrom(["--config", "/from/flag.yaml"], withPath)).toBe("/from/flag.yaml");
  });

  it("accepts --config=PATH among other arguments", () => {
    expect(configPathFrom(["--verbose", "--config=/from/flag.yaml", "extra"], withPath)).toBe(
      "/from/flag.yaml",
    );
    expect(configPathFrom(["--config=a=b.yaml"], withoutPath)).toBe("a=b.yaml");
  });

  it("falls back to LITELLM_CONFIG_PATH, then config/config.yaml", () => {
    expect(configPathFrom([], withPath)).toBe("/from/env.yaml");
    expect(configPathFrom(["--port", "4000"], withoutPath)).toBe("config/config.yaml");
  });

  it("refuses --config without a path", () => {
    expect(() => configPathFrom(["--config"], withPath)).toThrow("--config needs a path");
    expect(() => configPathFrom(["--config="], withPath)).toThrow("--config needs a path");
  });
});
