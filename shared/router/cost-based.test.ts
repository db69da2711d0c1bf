import { describe, expect, it } from "vitest";
import { costBased } from "./cost-based";
import { candidate, context } from "./test-fixtures";

describe("costBased", () => {
  it("picks the lowest input plus output price", () => {
    const candidates = [
      candidate("pricey", { inputCostPerToken: 1e-5, outputCostPerToken: 3e-5 }),
      candidate("cheap", { inputCostPerToken: 2e-6, outputCostPerToken: 8e-6 }),
      candidate("skewed", { inputCostPerToken: 1e-7, outputCostPerToken: 2e-5 }),
    ];
    expect(
      costBased(
        candidates,
        context(() => 0.99),
      )?.deployment.id,
    ).toBe("cheap");
  });

  it("ranks unknown cost after every known cost", () => {
    const unknown = candidate("unknown");
    const expensive = candidate("expensive", { inputCostPerToken: 1, outputCostPerToken: 1 });
    const inputOnly = candidate("input-only", { inputCostPerToken: 0.5 });
    expect(
      costBased(
        [unknown, expensive, inputOnly],
        context(() => 0),
      )?.deployment.id,
    ).toBe("input-only");
    expect(
      costBased(
        [unknown, expensive],
        context(() => 0),
      )?.deployment.id,
    ).toBe("expensive");
  });

  it("picks at random among all-unknown or equal costs", () => {
    const unknown = [candidate("a"), candidate("b")];
    expect(
      costBased(
        unknown,
        context(() => 0.2),
      )?.deployment.id,
    ).toBe("a");
    expect(
      costBased(
        unknown,
        context(() => 0.8),
      )?.deployment.id,
    ).toBe("b");
    const free = [candidate("x", { inputCostPerToken: 0 }), candidate("y", { outputCostPerToken: 0 })];
    expect(
      costBased(
        free,
        context(() => 0.8),
      )?.deployment.id,
    ).toBe("y");
  });
});
