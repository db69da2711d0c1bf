import type { Candidate } from "./types";

/** One of `items` chosen with a single draw; the clamp guards against a `random` that returns 1. */
export function pickRandom<T>(items: readonly T[], random: () => number): T | undefined {
  const index = Math.min(items.length - 1, Math.floor(random() * items.length));
  return items[Math.max(0, index)];
}

/** The candidate with the smallest `score`, ties broken at random so equal deployments share load. */
export function pickLowest(
  candidates: readonly Candidate[],
  score: (candidate: Candidate) => number,
  random: () => number,
): Candidate | undefined {
  const scores = candidates.map(score);
  const lowest = Math.min(...scores);
  return pickRandom(
    candidates.filter((_, i) => scores[i] === lowest),
    random,
  );
}
