import { describe, expect, it } from "vitest";
import { MemoryKv } from "../store/kv/memory";
import { type ReplicaReport, replicaRoster } from "./replica-roster";

const report = (revision: number, readiness: ReplicaReport["readiness"] = "ready"): ReplicaReport => ({
  revision,
  revision_source: "file",
  is_leader: false,
  readiness,
  checks: { database: readiness === "ready" ? "ok" : "connection refused" },
});

describe("the replica roster", () => {
  it("lists each replica's last report, stamped by the store's clock, and drops one gone silent", async () => {
    const clock = { now: 1_000_000 };
    const roster = replicaRoster(new MemoryKv({ now: () => clock.now }), 3_000);
    await roster.report("a", report(3));
    clock.now += 1_000;
    await roster.report("b", report(4, "not_ready"));
    expect(await roster.list()).toEqual({
      now: 1_001_000,
      replicas: [
        { id: "a", ...report(3), seen_at: 1_000_000 },
        { id: "b", ...report(4, "not_ready"), seen_at: 1_001_000 },
      ],
    });
    // A newer report replaces the older one; a replica silent past the age is left out.
    clock.now += 2_500;
    await roster.report("b", report(5));
    expect((await roster.list()).replicas.map((r) => [r.id, r.revision])).toEqual([["b", 5]]);
  });

  it("takes a stopping replica off at once, and forgets the roster when nobody is left", async () => {
    const kv = new MemoryKv();
    const roster = replicaRoster(kv, 10_000);
    await roster.report("a", report(1));
    await roster.report("b", report(1));
    await roster.leave("a");
    expect((await roster.list()).replicas.map((r) => r.id)).toEqual(["b"]);
    await roster.leave("b");
    expect((await roster.list()).replicas).toEqual([]);
    expect(await kv.get("replicas:roster")).toBeNull();
  });

  it("keeps each replica for its own age bound, so replicas beating at different rates keep each other", async () => {
    const clock = { now: 1_000_000 };
    const kv = new MemoryKv({ now: () => clock.now });
    const fast = replicaRoster(kv, 3_000);
    const slow = replicaRoster(kv, 15_000);
    await slow.report("slow", report(1));
    clock.now += 5_000;
    await fast.report("fast", report(1));
    expect((await fast.list()).replicas.map((r) => r.id)).toEqual(["fast", "slow"]);
    // The roster outlives its fast writer's bound while the slow replica's report still counts.
    clock.now += 9_000;
    expect((await fast.list()).replicas.map((r) => r.id)).toEqual(["slow"]);
    clock.now += 1_001;
    expect((await slow.list()).replicas).toEqual([]);
  });
});
