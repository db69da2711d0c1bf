import { afterAll, describe, expect, it } from "vitest";
import {
  countSignInAttempt,
  forgiveSignInAttempt,
  isRevoked,
  revokeSession,
  SIGN_IN_WINDOW_MS,
} from "../../shared/console/session-guards";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { replicaRoster } from "../../shared/sync/replica-roster";
import { deleteTestKeys, testKeyPrefix } from "../support/redis-keys";
import { REDIS_URL, requireRedis } from "../support/replicas";

// The console's and the replica roster's KV scripts, Lua on the machine's Redis and their
// JavaScript twins in memory, held to the same answers.

const prefix = testKeyPrefix("console-kv");
const redis = redisKv({ url: REDIS_URL });
const stores: [string, () => Promise<Kv>][] = [
  ["memory", async () => new MemoryKv()],
  [
    "redis",
    async () => {
      await requireRedis();
      return prefixedKv(redis, `${prefix}:${Math.random().toString(36).slice(2, 8)}`);
    },
  ],
];

afterAll(async () => {
  await deleteTestKeys(REDIS_URL, prefix);
  await redis.close();
});

describe.each(stores)("console and roster scripts on %s", (_name, store) => {
  it("counts sign-in attempts in a window that the first one starts, and takes back a right one", async () => {
    const kv = await store();
    const first = await countSignInAttempt(kv, "203.0.113.1");
    expect(first.count).toBe(1);
    expect(first.resetsInMs).toBeGreaterThan(SIGN_IN_WINDOW_MS - 5_000);
    const second = await countSignInAttempt(kv, "203.0.113.1");
    expect(second.count).toBe(2);
    expect(second.resetsInMs).toBeLessThanOrEqual(first.resetsInMs);
    const forgiven = await forgiveSignInAttempt(kv, "203.0.113.1");
    expect(forgiven.count).toBe(1);
    expect(forgiven.resetsInMs).toBeGreaterThan(0);
    expect((await countSignInAttempt(kv, "203.0.113.1")).count).toBe(2);
    expect(await forgiveSignInAttempt(kv, "203.0.113.2")).toEqual({ count: 0, resetsInMs: 0 });
    expect((await countSignInAttempt(kv, "203.0.113.2")).count).toBe(1);
  });

  it("remembers a revoked session until it would have expired", async () => {
    const kv = await store();
    const now = Date.now();
    await revokeSession(kv, "session-a", now + 60_000, now);
    await revokeSession(kv, "session-b", now - 1, now);
    expect(await isRevoked(kv, "session-a")).toBe(true);
    expect(await isRevoked(kv, "session-b")).toBe(false);
  });

  it("keeps each replica's latest report, and drops one that leaves", async () => {
    const kv = await store();
    const roster = replicaRoster(kv, 10_000);
    const report = (revision: number) => ({
      revision,
      revision_source: "file",
      is_leader: revision === 2,
      readiness: "ready" as const,
      checks: { database: "ok" },
    });
    await roster.report("replica-a", report(1));
    await roster.report("replica-b", report(1));
    await roster.report("replica-b", report(2));
    const listed = await roster.list();
    expect(listed.replicas.map(({ seen_at: _, ...r }) => r)).toEqual([
      { id: "replica-a", ...report(1) },
      { id: "replica-b", ...report(2) },
    ]);
    for (const r of listed.replicas) expect(Math.abs(listed.now - r.seen_at)).toBeLessThan(5_000);
    await roster.leave("replica-a");
    expect((await roster.list()).replicas.map((r) => r.id)).toEqual(["replica-b"]);
    await roster.leave("replica-b");
    expect((await roster.list()).replicas).toEqual([]);
  });

  it("keeps a replica that beats slower than the one reporting, for its own age bound", async () => {
    const kv = await store();
    const fast = replicaRoster(kv, 300);
    const slow = replicaRoster(kv, 5_000);
    const report = {
      revision: 1,
      revision_source: "file",
      is_leader: false,
      readiness: "ready" as const,
      checks: {},
    };
    await slow.report("slow", report);
    await new Promise((r) => setTimeout(r, 600));
    await fast.report("fast", report);
    await new Promise((r) => setTimeout(r, 600));
    // Past the fast writer's own bound (and its key expiry), before the slow one's.
    expect((await fast.list()).replicas.map((r) => r.id)).toEqual(["slow"]);
  });
});
