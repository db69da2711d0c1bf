import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DecisionRecord, LearnedStore } from "../../shared/learned/serve/learned-store";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { REDIS_URL, requireRedis, runTag } from "../support/replicas";

const record: DecisionRecord = {
  group: "auto",
  deployment: "coder-1",
  candidate: "coder",
  cluster: 2,
  router: "llmrouter-knn",
  arm: "knn",
};
const DAY = 86_400_000;

/** The behaviour both stores (Lua on Redis, its twin in memory) must share. */
function sharedCases(setup: () => { store: LearnedStore; other: LearnedStore }) {
  it("keeps a decision for its owner alone, for one feedback", async () => {
    const { store } = setup();
    const id = `req-${runTag()}`;
    await store.remember(id, "key:a", record, DAY);
    expect(await store.claim(id, "key:b")).toEqual({ kind: "missing" });
    expect(await store.claim(id, "key:a")).toEqual({ kind: "claimed", record });
    expect(await store.claim(id, "key:a")).toEqual({ kind: "duplicate" });
    expect(await store.claim(`req-${runTag()}`, "key:a")).toEqual({ kind: "missing" });
  });

  it("lets the master key rate any decision, and no key take over another's request id", async () => {
    const { store } = setup();
    const id = `req-${runTag()}`;
    await store.remember(id, "key:a", record, DAY);
    // The same x-request-id chosen by another key: the first decision stands.
    await store.remember(id, "key:b", { ...record, deployment: "cheap-1" }, DAY);
    expect(await store.claim(id, "key:b")).toEqual({ kind: "missing" });
    expect(await store.claim(id, "*")).toEqual({ kind: "claimed", record });
  });

  it("adds rewards per group, cluster and candidate, seen alike by every replica", async () => {
    const { store, other } = setup();
    const group = `g-${runTag()}`;
    await store.reward(group, 1, "coder", 1);
    await other.reward(group, 1, "coder", 0.5);
    await store.reward(group, 1, "cheap", 0);
    await store.reward(group, 2, "coder", 1);
    expect(await other.armStats(group, 1, ["cheap", "coder", "big"])).toEqual([
      { n: 1, sum: 0 },
      { n: 2, sum: 1.5 },
      { n: 0, sum: 0 },
    ]);
  });

  it("fades old evidence past a thousand observations per arm", async () => {
    const { store, other } = setup();
    const group = `g-${runTag()}`;
    for (let i = 0; i < 1_010; i++) await store.reward(group, 0, "big", i < 1_000 ? 1 : 0);
    const [big] = await other.armStats(group, 0, ["big"]);
    expect(big?.n).toBe(1_000);
    expect(big?.sum).toBeLessThan(991);
    expect(big?.sum).toBeGreaterThan(985);
  });
}

describe("LearnedStore on MemoryKv", () => {
  sharedCases(() => {
    const kv = new MemoryKv();
    // `other` reads around the first one's short read cache, as a second replica would.
    return { store: new LearnedStore(kv), other: new LearnedStore(kv) };
  });

  it("expires a decision after its ttl", async () => {
    let clock = 1_000;
    const kv = new MemoryKv({ now: () => clock });
    const store = new LearnedStore(kv);
    await store.remember("req-1", "key:a", record, 60_000);
    clock += 60_001;
    expect(await store.claim("req-1", "key:a")).toEqual({ kind: "missing" });
  });

  it("decides from the prior alone, and says so through onKvFailure, when the store fails", async () => {
    const failures: unknown[] = [];
    const broken = { run: () => Promise.reject(new Error("down")) } as unknown as Kv;
    const store = new LearnedStore(broken, { onKvFailure: (e) => failures.push(e) });
    expect(await store.armStats("g", 0, ["a", "b"])).toEqual([
      { n: 0, sum: 0 },
      { n: 0, sum: 0 },
    ]);
    await store.reward("g", 0, "a", 1);
    await store.remember("req", "open", record, DAY);
    expect(failures).toHaveLength(3);
    await expect(store.claim("req", "open")).rejects.toThrow("down");
  });
});

describe("LearnedStore on Redis", () => {
  let redis: Kv;
  let kv: Kv;
  let raw: Redis;
  // The deployment's prefix (ROUTEIQ_REDIS_PREFIX), as every replica's KV store carries it.
  const prefix = `test-${runTag()}`;
  beforeAll(async () => {
    await requireRedis();
    redis = redisKv({ url: REDIS_URL });
    kv = prefixedKv(redis, prefix);
    raw = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await raw.keys(`{${prefix}:learned}:*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await redis?.close();
  });

  sharedCases(() => ({ store: new LearnedStore(kv), other: new LearnedStore(kv) }));

  it("writes under the deployment's prefix, in one hash tag, with an expiry on every key", async () => {
    const store = new LearnedStore(kv);
    await store.remember("req-prefixed", "open", record, DAY);
    await store.reward("auto", 0, "big", 1);
    const keys = await raw.keys(`{${prefix}:learned}:*`);
    expect(keys).toEqual(
      expect.arrayContaining([
        `{${prefix}:learned}:decision:req-prefixed`,
        `{${prefix}:learned}:bandit:auto:0:big`,
      ]),
    );
    for (const key of keys) expect(await raw.pttl(key)).toBeGreaterThan(0);
  });
});
