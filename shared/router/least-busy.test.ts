import { describe, expect, it } from "vitest";
import { leastBusy } from "./least-busy";
import { candidate, context, seededRandom, tally } from "./test-fixtures";

describe("leastBusy", () => {
  it("picks the deployment with the fewest requests in flight", () => {
    const candidates = [
      candidate("a", {}, { inFlight: 3 }),
      candidate("b", {}, { inFlight: 1 }),
      candidate("c", {}, { inFlight: 2 }),
    ];
    expect(
      leastBusy(
        candidates,
        context(() => 0.99),
      )?.deployment.id,
    ).toBe("b");
  });

  it("breaks ties at random among the least busy only", () => {
    const candidates = [
      candidate("a", {}, { inFlight: 0 }),
      candidate("b", {}, { inFlight: 5 }),
      candidate("c", {}, { inFlight: 0 }),
    ];
    expect(
      leastBusy(
        candidates,
        context(() => 0.1),
      )?.deployment.id,
    ).toBe("a");
    expect(
      leastBusy(
        candidates,
        context(() => 0.9),
      )?.deployment.id,
    ).toBe("c");
    const random = seededRandom(1);
    const counts = tally(() => leastBusy(candidates, context(random)), 2_000);
    expect(counts.get("b")).toBeUndefined();
    expect((counts.get("a") ?? 0) / 2_000).toBeCloseTo(0.5, 1);
  });
});
