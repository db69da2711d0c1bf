import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KvRouterState } from "../../shared/router/kv-state";
import { deployment } from "../../shared/router/test-fixtures";
import type { Outcome, RouterState } from "../../shared/router/types";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { redisKv } from "../../shared/store/kv/redis";
import { REDIS_URL, requireRedis } from "../support/replicas";
import { closedPort } from "../support/routing";
import { testUpstash } from "../support/upstash";

const policy = { allowedFails: 3, cooldownMs: 5_000 };
const ok = (latencyMs: number, tokens = 0): Outcome => ({ result: "ok", latencyMs, tokens, coolNow: false });
const fail = (coolNow = false): Outcome => ({ result: "failed", latencyMs: 10, tokens: 0, coolNow });
const a = deployment("a");
const b = deployment("b");
const idle = { inFlight: 0, rpm: 0, tpm: 0, latencyMs: undefined, cooldownUntil: 0 };

/** Two replicas sharing one store; `now` is the replicas' clock. */
type Replicas = { readonly one: KvRouterState; readonly two: KvRouterState; readonly now: () => number };
/** Two replicas, writing their pending counts every `writeIntervalMs` (the default unless given). */
type Setup = (writeIntervalMs?: number) => Replicas;

const first = async (state: RouterState) => (await state.stats([a]))[0];

/** The behaviour of `MemoryRouterState`, which every store must reproduce. */
function sharedCases(setup: Setup) {
  it("returns neutral stats in order for deployments never seen", async () => {
    const { one } = setup();
    one.begin("b");
    expect(await one.stats([a, b])).toEqual([idle, { ...idle, inFlight: 1, rpm: 1 }]);
    expect(await one.stats([])).toEqual([]);
  });

  it("tracks in-flight, rpm and tpm, never letting in-flight go below zero", async () => {
    const { one } = setup();
    one.begin("a");
    one.begin("a");
    await one.end("a", ok(100, 40), policy);
    expect(await first(one)).toMatchObject({ inFlight: 1, rpm: 2, tpm: 40 });
    await one.end("a", ok(100, 2), policy);
    await one.end("a", ok(100, 3), policy);
    expect(await first(one)).toMatchObject({ inFlight: 0, rpm: 2, tpm: 45 });
  });

  it("cools down when fails reach allowedFails, on the caller's clock, then resets the count", async () => {
    const { one, now } = setup();
    for (const cooled of [false, false, true]) expect(await one.end("a", fail(), policy)).toBe(cooled);
    const { cooldownUntil = 0 } = (await first(one)) ?? {};
    expect(cooldownUntil).toBeGreaterThan(now() + 4_000);
    expect(cooldownUntil).toBeLessThanOrEqual(now() + 5_000);
    expect(await one.end("a", fail(), policy)).toBe(false);
  });

  it("cools down at once on coolNow, and never by count when allowedFails is infinite", async () => {
    const { one } = setup();
    const never = { allowedFails: Number.POSITIVE_INFINITY, cooldownMs: 0 };
    for (let i = 0; i < 5; i++) expect(await one.end("b", fail(), never)).toBe(false);
    expect(await one.end("b", fail(true), never)).toBe(true);
    expect(await one.end("a", fail(true), policy)).toBe(true);
    expect((await first(one))?.cooldownUntil).toBeGreaterThan(0);
  });

  it("averages the latency of successes only, the first sample setting it", async () => {
    const { one } = setup();
    expect(await one.end("a", ok(100), policy)).toBe(false);
    expect((await first(one))?.latencyMs).toBe(100);
    await one.end("a", ok(200), policy);
    expect((await first(one))?.latencyMs).toBeCloseTo(130);
    await one.end("a", fail(), policy);
    expect((await first(one))?.latencyMs).toBeCloseTo(130);
  });

  it("writes a failure at once, with the starts and successes still pending for its deployment", async () => {
    // No interval's write may land meanwhile: a loaded machine's round trips to Upstash outlast 100 ms.
    const { one, two } = setup(60_000);
    one.begin("a");
    one.begin("a");
    await one.end("a", ok(100, 5), policy);
    one.begin("b");
    await one.end("a", fail(), policy);
    expect(await first(two)).toMatchObject({ inFlight: 0, rpm: 2, tpm: 5, latencyMs: 100 });
    expect((await two.stats([b]))[0]).toEqual(idle);
    await one.flush();
  });

  it("shares usage, in-flight, fails and cooldowns between replicas", async () => {
    const { one, two } = setup();
    one.begin("a");
    two.begin("a");
    await expect.poll(async () => (await first(two))?.inFlight).toBe(2);
    await one.end("a", ok(100, 7), policy);
    // A success is written within the write interval, not at once.
    await expect
      .poll(async () => await first(two))
      .toMatchObject({ inFlight: 1, rpm: 2, tpm: 7, latencyMs: 100 });
    // Fails seen by different replicas add up toward allowedFails.
    expect(await one.end("a", fail(), policy)).toBe(false);
    expect(await two.end("a", fail(), policy)).toBe(false);
    expect(await one.end("a", fail(), policy)).toBe(true);
    expect((await first(two))?.cooldownUntil).toBeGreaterThan(0);
  });
}

describe("KvRouterState on MemoryKv", () => {
  let clock = 0;
  const memory = (writeIntervalMs?: number) => {
    clock = 120_000;
    const now = () => clock;
    const kv = new MemoryKv({ now });
    const options = { now, writeIntervalMs };
    return { kv, one: new KvRouterState(kv, options), two: new KvRouterState(kv, options), now };
  };
  const advance = (ms: number) => {
    clock += ms;
  };

  sharedCases(memory);

  it("resets rpm, tpm and fails when the store's minute changes, keeping in-flight and latency", async () => {
    const { one } = memory();
    for (let i = 0; i < 4; i += 1) one.begin("a");
    await one.end("a", ok(100, 50), policy);
    await one.end("a", fail(), policy);
    await one.end("a", fail(), policy);
    advance(59_999);
    expect(await first(one)).toMatchObject({ inFlight: 1, rpm: 4, tpm: 50 });
    advance(1);
    expect(await first(one)).toMatchObject({ inFlight: 1, rpm: 0, tpm: 0, latencyMs: 100 });
    // Two fails were in the previous minute, so one more does not reach allowedFails.
    expect(await one.end("a", fail(), policy)).toBe(false);
  });

  it("ends a cooldown by the store's clock, reporting it on each replica's own clock", async () => {
    const { one, kv } = memory();
    const skewed = new KvRouterState(kv, { now: () => clock + 30_000 });
    await one.end("a", fail(true), policy);
    advance(4_999);
    expect(await first(one)).toMatchObject({ cooldownUntil: 125_000 });
    expect(await first(skewed)).toMatchObject({ cooldownUntil: 155_000 });
    advance(1);
    expect(await one.stats([a])).toEqual(await skewed.stats([a]));
    expect(await first(skewed)).toMatchObject({ cooldownUntil: 0 });
  });

  it("forgets in-flight requests of a replica that died, ten minutes after it last wrote a start", async () => {
    const { one } = memory();
    one.begin("a");
    await one.flush();
    advance(9 * 60_000);
    one.begin("a");
    await one.flush();
    advance(9 * 60_000);
    expect((await first(one))?.inFlight).toBe(2);
    advance(60_000);
    expect((await first(one))?.inFlight).toBe(0);
  });
});

describe("KvRouterState writes", () => {
  it("costs one store call per deployment per write interval, however many requests start and succeed", async () => {
    const kv = new MemoryKv();
    const scripts: string[] = [];
    const counted = new Proxy(kv, {
      get(target, name, receiver) {
        if (name !== "run") return Reflect.get(target, name, receiver);
        return (script: { name: string }, ...rest: unknown[]) => {
          scripts.push(script.name);
          return (target.run as (...args: unknown[]) => unknown)(script, ...rest);
        };
      },
    });
    const state = new KvRouterState(counted, { writeIntervalMs: 50 });
    for (let i = 0; i < 100; i += 1) {
      state.begin("a");
      state.begin("b");
      await state.end("a", ok(100, 1), policy);
      await state.end("b", ok(100, 1), policy);
    }
    expect(scripts).toEqual([]);
    await expect.poll(() => scripts.length).toBe(2);
    expect((await state.stats([a, b])).map((s) => s.rpm)).toEqual([100, 100]);
    expect(scripts).toEqual(["routeiq_router_record", "routeiq_router_record", "routeiq_router_stats"]);
  });
});

describe("KvRouterState on Redis", () => {
  const prefix = `{routeiq-test:${randomUUID()}}`;
  const clients = [redisKv({ url: REDIS_URL }), redisKv({ url: REDIS_URL })] as const;
  const raw = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let n = 0;

  beforeAll(async () => {
    await requireRedis();
    await raw.connect();
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await Promise.all(clients.map((kv) => kv.close()));
  });

  // Each case gets its own prefix; the two replicas talk to Redis over separate connections.
  const redis: Setup = (writeIntervalMs) => {
    const options = { prefix: `${prefix}:${n++}`, now: Date.now, writeIntervalMs };
    const [one, two] = clients.map((kv) => new KvRouterState(kv, options)) as [KvRouterState, KvRouterState];
    return { one, two, now: Date.now };
  };

  // rpm and tpm count per minute of Redis's clock (this machine's): a case that straddles a minute
  // would see its counts reset halfway, so none starts in a minute's last 3 s.
  beforeEach(async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
  });

  sharedCases(redis);

  it("ends a cooldown when Redis's clock passes it", async () => {
    const { one, two } = redis();
    await one.end("a", fail(true), { allowedFails: 3, cooldownMs: 300 });
    expect((await first(two))?.cooldownUntil).toBeGreaterThan(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await first(two))?.cooldownUntil).toBe(0);
  });

  it("gives in-flight counters a ten-minute expiry in Redis", async () => {
    const state = new KvRouterState(clients[0], { prefix: `${prefix}:ttl` });
    state.begin("a");
    await state.stats([a]);
    expect(await raw.pttl(`${prefix}:ttl:f:a`)).toBeGreaterThan(9 * 60_000);
  });
});

describe("KvRouterState on Upstash", () => {
  const prefix = `{routeiq-test:${randomUUID()}}`;
  const upstash = testUpstash();
  const raw = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let clients: [Kv, Kv];
  let n = 0;

  beforeAll(async () => {
    clients = [await upstash.open(), await upstash.open()];
    await raw.connect();
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await upstash.close();
  });

  beforeEach(async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
  });

  sharedCases((writeIntervalMs) => {
    const options = { prefix: `${prefix}:${n++}`, now: Date.now, writeIntervalMs };
    const [one, two] = clients.map((kv) => new KvRouterState(kv, options)) as [KvRouterState, KvRouterState];
    return { one, two, now: Date.now };
  });
});

describe("KvRouterState with Redis down", () => {
  it("serves neutral stats quickly, reports no cooldown and counts the failures", async () => {
    const kv = redisKv({ url: `redis://127.0.0.1:${await closedPort()}`, onError: () => {} });
    const failures: unknown[] = [];
    const state = new KvRouterState(kv, { onKvFailure: (error) => failures.push(error) });
    try {
      const started = Date.now();
      state.begin("a");
      expect(await state.stats([a, b])).toEqual([idle, idle]);
      expect(await state.end("a", fail(true), policy)).toBe(false);
      expect(Date.now() - started).toBeLessThan(1_500);
      await expect.poll(() => failures.length).toBe(3);
    } finally {
      await kv.close();
    }
  });
});
