import { describe, expect, it } from "vitest";
import { CachedRouterState } from "./cached-state";
import { MemoryRouterState } from "./memory-state";
import { deployment } from "./test-fixtures";

const policy = { allowedFails: 1, cooldownMs: 30_000 };

describe("CachedRouterState", () => {
  it("answers from a snapshot younger than maxAgeMs, then reads the store again", async () => {
    let now = 1_000_000;
    const inner = new MemoryRouterState({ now: () => now });
    const cached = new CachedRouterState(inner, { maxAgeMs: 100, now: () => now });
    const group = [deployment("a"), deployment("b")];
    expect((await cached.stats(group))[0]?.inFlight).toBe(0);
    inner.begin("a");
    expect((await cached.stats(group))[0]?.inFlight).toBe(0);
    now += 100;
    expect((await cached.stats(group))[0]?.inFlight).toBe(1);
  });

  it("drops the snapshot when this replica cools a deployment down", async () => {
    const now = 1_000_000;
    const inner = new MemoryRouterState({ now: () => now });
    const cached = new CachedRouterState(inner, { maxAgeMs: 10_000, now: () => now });
    const group = [deployment("a"), deployment("b")];
    await cached.stats(group);
    cached.begin("a");
    const cooled = await cached.end(
      "a",
      { result: "failed", latencyMs: 5, tokens: 0, coolNow: true },
      policy,
    );
    expect(cooled).toBe(true);
    expect((await cached.stats(group))[0]?.cooldownUntil).toBe(now + 30_000);
  });
});
