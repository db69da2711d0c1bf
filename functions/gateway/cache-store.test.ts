import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { parseCacheSettings } from "../../shared/cache/settings";
import { loadConfig } from "../../shared/config/load";
import { runReadiness } from "../../shared/http/readiness";
import type { Logger } from "../../shared/logging/logger";
import { chooseCacheStore, openCacheStore, warnOnCacheStoreChange } from "./cache-store";
import { parseNodeEnv } from "./env";
import { chooseKv } from "./stores";

const storeOf = (cache_params: Record<string, unknown>) =>
  parseCacheSettings({ cache: true, cache_params }).store;
const gatewayOn = (vars: Record<string, string>) => chooseKv(parseNodeEnv(vars));

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (message) => warnings.push(message), error() {} };
}

describe("chooseCacheStore", () => {
  const redisGateway = gatewayOn({ REDIS_HOST: "redis.internal", REDIS_PASSWORD: "pw", REDIS_TLS: "true" });
  const memoryGateway = gatewayOn({});

  it("uses the gateway's store without cache_params, and for type redis when the gateway has Redis", () => {
    expect(chooseCacheStore(storeOf({}), {}, redisGateway)).toEqual({ kind: "gateway" });
    expect(chooseCacheStore(storeOf({ type: "redis" }), {}, redisGateway)).toEqual({ kind: "gateway" });
  });

  it("says so when type redis has no Redis to use", () => {
    expect(chooseCacheStore(storeOf({ type: "redis" }), {}, memoryGateway)).toEqual({
      kind: "gateway",
      warning: expect.stringContaining("the gateway has no Redis (REDIS_URL or REDIS_HOST)"),
    });
  });

  it("keeps a local cache in this process's memory, beside the gateway's Redis", () => {
    expect(chooseCacheStore(storeOf({ type: "local" }), {}, redisGateway)).toEqual({ kind: "memory" });
    expect(chooseCacheStore(storeOf({ type: "local" }), {}, memoryGateway)).toEqual({ kind: "gateway" });
  });

  it("opens a Redis of its own for a host, with TLS as REDIS_TLS unless ssl says", () => {
    expect(
      chooseCacheStore(
        storeOf({ host: "cache.internal", password: "own" }),
        { REDIS_TLS: true },
        redisGateway,
      ),
    ).toEqual({
      kind: "redis",
      options: { host: "cache.internal", port: 6379, password: "own", tls: true },
    });
    expect(
      chooseCacheStore(storeOf({ host: "cache.internal", ssl: false }), { REDIS_TLS: true }, memoryGateway),
    ).toEqual({
      kind: "redis",
      options: { host: "cache.internal", port: 6379, password: undefined, tls: false },
    });
  });

  it("opens a Redis Cluster of its own for redis_startup_nodes, unless it is the gateway's", () => {
    const nodes = [{ host: "10.0.0.1", port: "7000" }];
    expect(
      chooseCacheStore(storeOf({ redis_startup_nodes: nodes, password: "pw" }), {}, memoryGateway),
    ).toEqual({
      kind: "redis",
      options: { clusterNodes: [{ host: "10.0.0.1", port: 7000 }], password: "pw", tls: undefined },
    });
    const clusterGateway = gatewayOn({
      REDIS_CLUSTER_NODES: '[{"host":"10.0.0.1","port":7000}]',
      REDIS_PASSWORD: "pw",
    });
    expect(
      chooseCacheStore(storeOf({ redis_startup_nodes: nodes, password: "pw" }), {}, clusterGateway),
    ).toEqual({
      kind: "gateway",
    });
    expect(
      chooseCacheStore(storeOf({ host: "10.0.0.1", port: 7000, password: "pw" }), {}, clusterGateway),
    ).toEqual({
      kind: "redis",
      options: { host: "10.0.0.1", port: 7000, password: "pw", tls: undefined },
    });
  });

  it("does not connect twice to the gateway's own Redis", () => {
    const same = storeOf({ host: "redis.internal", password: "pw" });
    expect(chooseCacheStore(same, { REDIS_TLS: true }, redisGateway)).toEqual({ kind: "gateway" });
    expect(chooseCacheStore(same, { REDIS_TLS: false }, redisGateway).kind).toBe("redis");
    expect(
      chooseCacheStore(
        storeOf({ host: "redis.internal", port: 6380, password: "pw" }),
        { REDIS_TLS: true },
        redisGateway,
      ).kind,
    ).toBe("redis");
  });
});

/** A port that accepts connections and never answers: a Redis that hangs. */
async function silentPort(): Promise<{ port: number; close(): void }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, close: () => server.close() };
}

describe("openCacheStore", () => {
  it("connects a Redis of its own at start, under the gateway's prefix, and lets go of it at close", async () => {
    const url = new URL(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
    const store = openCacheStore(
      { kind: "redis", options: { host: url.hostname, port: Number(url.port || 6379) } },
      { prefix: "cache-store-test", memoryMaxBytes: 1024 * 1024, logger: recordingLogger() },
    );
    const report = await runReadiness(store.readiness);
    expect(report).toEqual({ ready: true, checks: { cache_redis: "ok" } });
    await store.kv?.set("cache:x", "1", 5_000);
    expect(await store.kv?.get("cache:x")).toBe("1");
    await store.close();
    await expect(store.kv?.get("cache:x")).rejects.toThrow();
  });

  it("shows an unreachable cache Redis as a readiness warning, never as not ready", async () => {
    const hung = await silentPort();
    const logger = recordingLogger();
    const store = openCacheStore(
      { kind: "redis", options: { host: "127.0.0.1", port: hung.port, commandTimeoutMs: 200 } },
      { prefix: "routeiq", memoryMaxBytes: 1024 * 1024, logger },
    );
    try {
      const report = await runReadiness(store.readiness);
      expect(report.ready).toBe(true);
      expect(report.checks).toEqual({ cache_redis: "ok" });
      expect(report.warnings?.cache_redis).toMatch(
        /^unreachable \(.+\); requests are served without the response cache$/,
      );
      await expect(store.kv?.get("cache:x")).rejects.toThrow();
    } finally {
      await store.close();
      hung.close();
    }
  });
});

describe("warnOnCacheStoreChange", () => {
  const configWith = (cache_params: Record<string, unknown>) =>
    loadConfig(JSON.stringify({ litellm_settings: { cache: true, cache_params } }), {}).config;

  it("warns once per reload that moves the cache's store, which waits for a restart", () => {
    const logger = recordingLogger();
    let current = configWith({ host: "cache-a.internal", ttl: 60 });
    const read = warnOnCacheStoreChange(() => current, logger);
    current = configWith({ host: "cache-a.internal", ttl: 30 });
    expect(read()).toBe(current);
    expect(logger.warnings).toEqual([]);
    current = configWith({ host: "cache-b.internal" });
    read();
    read();
    expect(logger.warnings).toEqual([expect.stringContaining("this takes effect at restart")]);
  });
});
