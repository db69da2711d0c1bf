import type { CandidateInfo } from "../router";
import { seededRandom, shuffled } from "./random";

/** One training query: its text and each candidate's score (0..1), NaN where it was not observed. */
export interface Example {
  readonly text: string;
  readonly scores: Float64Array;
}

export interface TrainingSet {
  readonly candidates: readonly CandidateInfo[];
  readonly examples: readonly Example[];
}

/** A row of LLMRouter's data (and of what `router:train` reads from a spend log). */
export interface RoutingRow {
  readonly question: string;
  /** Score per candidate; anything but a finite number counts as not observed. */
  readonly scores?: Readonly<Record<string, unknown>>;
}

export interface PricedCandidate {
  readonly name: string;
  readonly inputPrice: number;
  readonly outputPrice: number;
}

/**
 * Rows and priced candidates as a training set: candidates are those with a price and at least
 * one observed score, in the candidates file's order; what was left out is reported.
 */
export function trainingSet(
  rows: readonly RoutingRow[],
  priced: readonly PricedCandidate[],
): { set: TrainingSet; unpriced: string[]; unobserved: string[] } {
  const observed = new Set(
    rows.flatMap((r) =>
      Object.entries(r.scores ?? {})
        .filter(([, score]) => typeof score === "number" && Number.isFinite(score))
        .map(([name]) => name),
    ),
  );
  const candidates = priced
    .filter((c) => observed.has(c.name))
    .map((c) => ({ name: c.name, cost: c.inputPrice + c.outputPrice }));
  const names = new Set(priced.map((c) => c.name));
  const examples = rows.map((row) => ({
    text: row.question,
    scores: Float64Array.from(candidates, (c) => {
      const score = row.scores?.[c.name];
      return typeof score === "number" && Number.isFinite(score)
        ? Math.min(1, Math.max(0, score))
        : Number.NaN;
    }),
  }));
  return {
    set: { candidates, examples },
    unpriced: [...observed].filter((name) => !names.has(name)).sort(),
    unobserved: priced.filter((c) => !observed.has(c.name)).map((c) => c.name),
  };
}

/** A seeded split: `fraction` of the examples (at least one) held out, the rest to fit on. */
export function split<T>(items: readonly T[], fraction: number, seed: number): { fit: T[]; held: T[] } {
  const order = shuffled(
    items.map((_, i) => i),
    seededRandom(seed),
  );
  const count = Math.max(1, Math.round(items.length * fraction));
  const heldIndices = new Set(order.slice(0, count));
  return {
    fit: items.filter((_, i) => !heldIndices.has(i)),
    held: items.filter((_, i) => heldIndices.has(i)),
  };
}
