import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ReadinessCheck, readinessTracker, runReadiness } from "./readiness";

const ok = (name: string): ReadinessCheck => ({ name, check: async () => {} });
const failing = (name: string, message: string): ReadinessCheck => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});
const taking = (name: string, ms: number): ReadinessCheck => ({
  name,
  check: () => new Promise((resolve) => setTimeout(resolve, ms)),
});

describe("runReadiness", () => {
  it("is ready with no checks", async () => {
    expect(await runReadiness([])).toEqual({ ready: true, checks: {} });
  });

  it("is ready when every check passes", async () => {
    expect(await runReadiness([ok("database"), ok("redis")])).toEqual({
      ready: true,
      checks: { database: "ok", redis: "ok" },
    });
  });

  it("is not ready when one check fails, naming it with its error", async () => {
    expect(await runReadiness([ok("database"), failing("redis", "ECONNREFUSED 10.0.0.5:6379")])).toEqual({
      ready: false,
      checks: { database: "ok", redis: "ECONNREFUSED 10.0.0.5:6379" },
    });
  });

  it("stays ready when a healthy check warns, and shows the warning", async () => {
    const warning: ReadinessCheck = {
      name: "redis",
      check: async () => {},
      warning: async () => "maxmemory-policy allkeys-lru ...",
    };
    expect(await runReadiness([ok("database"), warning])).toEqual({
      ready: true,
      checks: { database: "ok", redis: "ok" },
      warnings: { redis: "maxmemory-policy allkeys-lru ..." },
    });
    const quiet: ReadinessCheck = { name: "redis", check: async () => {}, warning: async () => undefined };
    expect(await runReadiness([quiet])).toEqual({ ready: true, checks: { redis: "ok" } });
  });

  it("reports a check that throws a non-Error value", async () => {
    const report = await runReadiness([
      {
        name: "odd",
        check: () => Promise.reject("went away"),
      },
    ]);
    expect(report).toEqual({ ready: false, checks: { odd: "went away" } });
  });

  describe("with fake timers", () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("counts a check with no answer within 2 s as failed", async () => {
      const hung: ReadinessCheck = { name: "database", check: () => new Promise(() => {}) };
      let settled = false;
      const pending = runReadiness([hung, ok("redis")]).then((report) => {
        settled = true;
        return report;
      });
      await vi.advanceTimersByTimeAsync(1_999);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await pending).toEqual({
        ready: false,
        checks: { database: "database did not answer within 2000ms", redis: "ok" },
      });
    });

    it("runs checks in parallel, so two 1.5 s checks both pass", async () => {
      const pending = runReadiness([taking("a", 1_500), taking("b", 1_500)]);
      await vi.advanceTimersByTimeAsync(1_500);
      expect(await pending).toEqual({ ready: true, checks: { a: "ok", b: "ok" } });
    });
  });

  it("aborts the signal of a check that did not answer in time (real clock)", async () => {
    let abortedAfterMs: number | undefined;
    const started = Date.now();
    const report = await runReadiness([
      {
        name: "db",
        check: (signal) =>
          new Promise(() => {
            signal.addEventListener("abort", () => {
              abortedAfterMs = Date.now() - started;
            });
          }),
      },
    ]);
    expect(report).toEqual({ ready: false, checks: { db: "db did not answer within 2000ms" } });
    await vi.waitFor(() => expect(abortedAfterMs).toBeDefined(), { timeout: 1_000 });
    expect(abortedAfterMs).toBeGreaterThanOrEqual(1_900);
  });
});

describe("readinessTracker", () => {
  const down = { healthy: false };
  const database: ReadinessCheck = {
    name: "database",
    check: async () => {
      if (!down.healthy) throw new Error("database unavailable: connect ECONNREFUSED");
    },
    graceMs: () => 60_000,
  };
  const strict: ReadinessCheck = { ...database, name: "strict", graceMs: undefined };

  it("stays degraded (not not_ready) while a check fails within its grace, counted from its first failure", async () => {
    let now = 0;
    const assess = readinessTracker(() => now);
    down.healthy = false;
    expect(await assess([database, ok("redis")])).toEqual({
      status: "degraded",
      checks: { database: "database unavailable: connect ECONNREFUSED", redis: "ok" },
      degradedUntil: { database: new Date(60_000).toISOString() },
    });
    now = 59_999;
    expect((await assess([database])).status).toBe("degraded");
    now = 60_000;
    expect((await assess([database])).status).toBe("not_ready");
    down.healthy = true;
    expect((await assess([database])).status).toBe("ready");
    // A new outage gets a new grace.
    down.healthy = false;
    now = 100_000;
    expect((await assess([database])).degradedUntil).toEqual({ database: new Date(160_000).toISOString() });
  });

  it("is not_ready at once for a failing check without a grace, whatever else is degraded", async () => {
    down.healthy = false;
    const assess = readinessTracker(() => 0);
    expect(await assess([database, strict])).toMatchObject({
      status: "not_ready",
      degradedUntil: { database: expect.any(String) },
    });
  });
});
