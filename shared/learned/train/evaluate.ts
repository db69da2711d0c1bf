import type { CandidateInfo } from "../router";
import type { Example } from "./dataset";

export interface Outcome {
  /** Mean score of the chosen candidates (over the queries where the choice has a score). */
  readonly quality: number;
  /** Mean cost of the chosen candidates. */
  readonly cost: number;
}

/** What choosing `picks[i]` for `examples[i]` gives. */
export function outcomeOf(
  picks: readonly number[],
  examples: readonly Example[],
  candidates: readonly CandidateInfo[],
): Outcome {
  let quality = 0;
  let scored = 0;
  let cost = 0;
  picks.forEach((pick, i) => {
    const score = (examples[i] as Example).scores[pick] as number;
    if (!Number.isNaN(score)) {
      quality += score;
      scored += 1;
    }
    cost += (candidates[pick] as CandidateInfo).cost;
  });
  return { quality: scored === 0 ? 0 : quality / scored, cost: picks.length === 0 ? 0 : cost / picks.length };
}

/** Each candidate's mean observed score over `examples`. */
export function meanScores(examples: readonly Example[], candidates: number): number[] {
  return Array.from({ length: candidates }, (_, m) => {
    let sum = 0;
    let n = 0;
    for (const e of examples) {
      const s = e.scores[m] as number;
      if (!Number.isNaN(s)) {
        sum += s;
        n += 1;
      }
    }
    return n === 0 ? 0 : sum / n;
  });
}

/** The candidate with the best mean score (the cheaper one on a tie). */
export function bestSingle(examples: readonly Example[], candidates: readonly CandidateInfo[]): number {
  const means = meanScores(examples, candidates.length);
  return means.reduce(
    (best, q, m) =>
      q > (means[best] as number) ||
      (q === means[best] && (candidates[m] as CandidateInfo).cost < (candidates[best] as CandidateInfo).cost)
        ? m
        : best,
    0,
  );
}

export function cheapest(candidates: readonly CandidateInfo[]): number {
  return candidates.reduce((best, c, m) => (c.cost < (candidates[best] as CandidateInfo).cost ? m : best), 0);
}

/** The best score on each query (the oracle's pick), cheapest on a tie. */
export function oraclePicks(examples: readonly Example[], candidates: readonly CandidateInfo[]): number[] {
  return examples.map((e) => {
    let best = -1;
    e.scores.forEach((s, m) => {
      if (Number.isNaN(s)) return;
      const b = best < 0 ? Number.NaN : (e.scores[best] as number);
      if (
        best < 0 ||
        s > b ||
        (s === b && (candidates[m] as CandidateInfo).cost < (candidates[best] as CandidateInfo).cost)
      )
        best = m;
    });
    return Math.max(0, best);
  });
}
