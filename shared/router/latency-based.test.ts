import { describe, expect, it } from "vitest";
import { latencyBased } from "./latency-based";
import { candidate, context, seededRandom, tally } from "./test-fixtures";

const measured = [
  candidate("slow", {}, { latencyMs: 300 }),
  candidate("fast", {}, { latencyMs: 100 }),
  candidate("close", {}, { latencyMs: 140 }),
];

describe("latencyBased", () => {
  it("picks the lowest latency", () => {
    expect(
      latencyBased(
        measured,
        context(() => 0.99),
      )?.deployment.id,
    ).toBe("fast");
  });

  it("tries unmeasured deployments first, at random among them", () => {
    const candidates = [...measured, candidate("new1"), candidate("new2")];
    expect(
      latencyBased(
        candidates,
        context(() => 0.1),
      )?.deployment.id,
    ).toBe("new1");
    expect(
      latencyBased(
        candidates,
        context(() => 0.9),
      )?.deployment.id,
    ).toBe("new2");
  });

  it("spreads load within lowest_latency_buffer of the fastest", () => {
    const random = seededRandom(3);
    const ctx = context(random, { args: { lowest_latency_buffer: 0.5 } });
    const counts = tally(() => latencyBased(measured, ctx), 2_000);
    expect(counts.get("slow")).toBeUndefined();
    expect((counts.get("fast") ?? 0) / 2_000).toBeCloseTo(0.5, 1);
    expect((counts.get("close") ?? 0) / 2_000).toBeCloseTo(0.5, 1);
  });

  it("ignores a buffer that is not a positive number", () => {
    for (const buffer of ["0.5", -1, Number.NaN]) {
      const ctx = context(() => 0.99, { args: { lowest_latency_buffer: buffer } });
      expect(latencyBased(measured, ctx)?.deployment.id).toBe("fast");
    }
  });

  it("breaks exact ties at random", () => {
    const candidates = [candidate("a", {}, { latencyMs: 50 }), candidate("b", {}, { latencyMs: 50 })];
    expect(
      latencyBased(
        candidates,
        context(() => 0.2),
      )?.deployment.id,
    ).toBe("a");
    expect(
      latencyBased(
        candidates,
        context(() => 0.7),
      )?.deployment.id,
    ).toBe("b");
  });
});
