import { describe, expect, it } from "vitest";
import { MemoryRouterState } from "./memory-state";
import { deployment } from "./test-fixtures";
import type { Outcome } from "./types";

const policy = { allowedFails: 3, cooldownMs: 5_000 };
const ok = (latencyMs: number, tokens = 0): Outcome => ({ result: "ok", latencyMs, tokens, coolNow: false });
const fail = (coolNow = false): Outcome => ({ result: "failed", latencyMs: 10, tokens: 0, coolNow });

function setup(start = 120_000) {
  let now = start;
  const state = new MemoryRouterState({ now: () => now });
  const a = deployment("a");
  const statsOf = async () => {
    const [stats] = await state.stats([a]);
    return stats;
  };
  return { state, statsOf, advance: (ms: number) => (now += ms) };
}

describe("MemoryRouterState", () => {
  it("returns idle stats in order, for ids it has never seen", async () => {
    const { state } = setup();
    state.begin("b");
    const stats = await state.stats([deployment("a"), deployment("b")]);
    expect(stats).toEqual([
      { inFlight: 0, rpm: 0, tpm: 0, latencyMs: undefined, cooldownUntil: 0 },
      { inFlight: 1, rpm: 1, tpm: 0, latencyMs: undefined, cooldownUntil: 0 },
    ]);
  });

  it("tracks in-flight, rpm and tpm, never letting in-flight go below zero", async () => {
    const { state, statsOf } = setup();
    state.begin("a");
    state.begin("a");
    await state.end("a", ok(100, 40), policy);
    expect(await statsOf()).toMatchObject({ inFlight: 1, rpm: 2, tpm: 40 });
    await state.end("a", ok(100, 2), policy);
    await state.end("a", ok(100, 3), policy);
    expect(await statsOf()).toMatchObject({ inFlight: 0, rpm: 2, tpm: 45 });
  });

  it("resets rpm, tpm and fails when the minute changes, keeping in-flight", async () => {
    const { state, statsOf, advance } = setup();
    for (let i = 0; i < 4; i += 1) state.begin("a");
    await state.end("a", ok(100, 50), policy);
    await state.end("a", fail(), policy);
    await state.end("a", fail(), policy);
    advance(59_999);
    expect(await statsOf()).toMatchObject({ inFlight: 1, rpm: 4, tpm: 50 });
    advance(1);
    expect(await statsOf()).toMatchObject({ inFlight: 1, rpm: 0, tpm: 0, latencyMs: 100 });
    // Two fails were in the previous minute, so one more does not reach allowedFails.
    expect(await state.end("a", fail(), policy)).toBe(false);
  });

  it("cools down when fails in a minute reach allowedFails, then resets the count", async () => {
    const { state, statsOf } = setup();
    expect(await state.end("a", fail(), policy)).toBe(false);
    expect(await state.end("a", fail(), policy)).toBe(false);
    expect(await state.end("a", fail(), policy)).toBe(true);
    expect(await statsOf()).toMatchObject({ cooldownUntil: 125_000 });
    expect(await state.end("a", fail(), policy)).toBe(false);
  });

  it("cools down at once on a coolNow outcome", async () => {
    const { state, statsOf } = setup();
    expect(await state.end("a", fail(true), policy)).toBe(true);
    expect(await statsOf()).toMatchObject({ cooldownUntil: 125_000 });
  });

  it("reports cooldownUntil as 0 once it has passed", async () => {
    const { state, statsOf, advance } = setup();
    await state.end("a", fail(true), policy);
    advance(4_999);
    expect(await statsOf()).toMatchObject({ cooldownUntil: 125_000 });
    advance(1);
    expect(await statsOf()).toMatchObject({ cooldownUntil: 0 });
  });

  it("a released attempt frees its slot and counts neither as a failure nor as a latency sample", async () => {
    const { state, statsOf } = setup();
    const released: Outcome = { result: "released", latencyMs: 5_000, tokens: 7, coolNow: true };
    state.begin("a");
    expect(await state.end("a", released, policy)).toBe(false);
    expect(await statsOf()).toEqual({ inFlight: 0, rpm: 1, tpm: 7, latencyMs: undefined, cooldownUntil: 0 });
    for (let i = 0; i < 5; i += 1) await state.end("a", released, { allowedFails: 1, cooldownMs: 5_000 });
    expect((await statsOf())?.cooldownUntil).toBe(0);
    // Two real failures still take the whole allowance of three.
    expect(await state.end("a", fail(), policy)).toBe(false);
    expect(await state.end("a", fail(), policy)).toBe(false);
  });

  it("averages latency of successes only, the first sample setting it", async () => {
    const { state, statsOf } = setup();
    expect(await state.end("a", ok(100), policy)).toBe(false);
    expect((await statsOf())?.latencyMs).toBe(100);
    await state.end("a", ok(200), policy);
    expect((await statsOf())?.latencyMs).toBeCloseTo(130);
    await state.end("a", fail(), policy);
    expect((await statsOf())?.latencyMs).toBeCloseTo(130);
  });
});
