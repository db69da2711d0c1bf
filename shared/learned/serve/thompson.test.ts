import { describe, expect, it } from "vitest";
import { seededRandom } from "../train/random";
import { sampleBeta, thompsonRanking } from "./thompson";

describe("Thompson sampling", () => {
  it("samples a Beta with its mean", () => {
    const random = seededRandom(1);
    let sum = 0;
    for (let i = 0; i < 4_000; i++) sum += sampleBeta(2, 6, random);
    expect(sum / 4_000).toBeCloseTo(0.25, 1);
  });

  it("follows the training prior until live rewards say otherwise", () => {
    const costs = [1, 1];
    const prior = [0.8, 0.6];
    const options = { priorStrength: 20, costWeight: 0, random: seededRandom(7) };
    const firsts = (stats: { n: number; sum: number }[]) => {
      let zero = 0;
      for (let i = 0; i < 500; i++)
        if (thompsonRanking(prior, stats, costs, options).order[0] === 0) zero += 1;
      return zero / 500;
    };
    expect(firsts([])).toBeGreaterThan(0.8);
    // Candidate 0 failed 200 times live: the bandit moves to candidate 1.
    expect(
      firsts([
        { n: 200, sum: 0 },
        { n: 0, sum: 0 },
      ]),
    ).toBeLessThan(0.05);
  });
});
