import { describe, expect, it } from "vitest";
import { simpleShuffle } from "./simple-shuffle";
import { candidate, context, seededRandom, tally } from "./test-fixtures";

describe("simpleShuffle", () => {
  it("walks cumulative weights with one draw", () => {
    const candidates = [candidate("a", { weight: 1 }), candidate("b", { weight: 3 })];
    let draws = 0;
    const random = () => {
      draws += 1;
      return 0.7;
    };
    expect(simpleShuffle(candidates, context(random))?.deployment.id).toBe("b");
    expect(draws).toBe(1);
    expect(
      simpleShuffle(
        candidates,
        context(() => 0.2),
      )?.deployment.id,
    ).toBe("a");
  });

  it("follows the weights over many picks", () => {
    const candidates = [candidate("a", { weight: 1 }), candidate("b", { weight: 3 })];
    const random = seededRandom(42);
    const counts = tally(() => simpleShuffle(candidates, context(random)), 10_000);
    expect((counts.get("b") ?? 0) / 10_000).toBeCloseTo(0.75, 1);
  });

  it("counts a missing weight as 1 when another deployment has one", () => {
    const candidates = [candidate("a"), candidate("b", { weight: 1 })];
    expect(
      simpleShuffle(
        candidates,
        context(() => 0.4),
      )?.deployment.id,
    ).toBe("a");
    expect(
      simpleShuffle(
        candidates,
        context(() => 0.6),
      )?.deployment.id,
    ).toBe("b");
  });

  it("prefers weight over rpm, and rpm over tpm", () => {
    const byWeight = [candidate("a", { weight: 1, rpm: 1 }), candidate("b", { weight: 1, rpm: 9 })];
    expect(
      simpleShuffle(
        byWeight,
        context(() => 0.4),
      )?.deployment.id,
    ).toBe("a");
    const byRpm = [candidate("a", { rpm: 1, tpm: 9 }), candidate("b", { rpm: 9, tpm: 1 })];
    expect(
      simpleShuffle(
        byRpm,
        context(() => 0.2),
      )?.deployment.id,
    ).toBe("b");
    const byTpm = [candidate("a", { tpm: 9 }), candidate("b", { tpm: 1 })];
    expect(
      simpleShuffle(
        byTpm,
        context(() => 0.85),
      )?.deployment.id,
    ).toBe("a");
    expect(
      simpleShuffle(
        byTpm,
        context(() => 0.95),
      )?.deployment.id,
    ).toBe("b");
  });

  it("never picks a zero-weight deployment, even at the top of the range", () => {
    const candidates = [candidate("a", { weight: 2 }), candidate("b", { weight: 0 })];
    expect(
      simpleShuffle(
        candidates,
        context(() => 0.999_999_999),
      )?.deployment.id,
    ).toBe("a");
    expect(
      simpleShuffle(
        candidates,
        context(() => 1),
      )?.deployment.id,
    ).toBe("a");
  });

  it("is uniform without weights, rpm or tpm, or when every weight is zero", () => {
    const plain = [candidate("a"), candidate("b"), candidate("c")];
    expect(
      simpleShuffle(
        plain,
        context(() => 0.5),
      )?.deployment.id,
    ).toBe("b");
    const zero = [candidate("a", { weight: 0 }), candidate("b", { weight: 0 })];
    expect(
      simpleShuffle(
        zero,
        context(() => 0.9),
      )?.deployment.id,
    ).toBe("b");
    const random = seededRandom(7);
    const counts = tally(() => simpleShuffle(plain, context(random)), 9_000);
    for (const id of ["a", "b", "c"]) expect((counts.get(id) ?? 0) / 9_000).toBeCloseTo(1 / 3, 1);
  });
});
