import { type Ranking, rankByUtility, rankCheapestAboveBar } from "../decide";
import type { CandidateInfo } from "../router";
import type { Example } from "./dataset";
import { bestSingle, type Outcome, outcomeOf } from "./evaluate";

/** The knob settings training tries, and the docs' table of operating points shows. */
export const COST_WEIGHTS = Object.freeze([0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.3, 0.5, 1]);
export const MIN_QUALITIES = Object.freeze([1, 0.98, 0.96, 0.94, 0.92, 0.9, 0.88, 0.85, 0.8, 0.7, 0.5, 0]);

/**
 * The default operating point: the best quality at no more than this share of the best single
 * model's cost, measured on the part of the training data held out for tuning. Below half, so the
 * default keeps under half the cost on queries it has not seen.
 */
export const DEFAULT_COST_SHARE = 0.4;

export type KnobKind = "costWeight" | "minQuality";

export const knobValues = (kind: KnobKind): readonly number[] =>
  kind === "costWeight" ? COST_WEIGHTS : MIN_QUALITIES;

export function rankWith(
  kind: KnobKind,
  value: number,
  predicted: ArrayLike<number>,
  costs: readonly number[],
): Ranking {
  return kind === "costWeight"
    ? rankByUtility(predicted, costs, value)
    : rankCheapestAboveBar(predicted, costs, value);
}

export interface KnobPoint extends Outcome {
  readonly value: number;
}

/** Quality and cost at every knob setting, for predictions on held-out examples. */
export function sweep(
  kind: KnobKind,
  predictions: readonly ArrayLike<number>[],
  examples: readonly Example[],
  candidates: readonly CandidateInfo[],
): KnobPoint[] {
  const costs = candidates.map((c) => c.cost);
  return knobValues(kind).map((value) => ({
    value,
    ...outcomeOf(
      predictions.map((p) => rankWith(kind, value, p, costs).order[0] as number),
      examples,
      candidates,
    ),
  }));
}

/** The operating point the default is set to (see DEFAULT_COST_SHARE); the cheapest when none fits. */
export function defaultPoint(
  points: readonly KnobPoint[],
  examples: readonly Example[],
  candidates: readonly CandidateInfo[],
): KnobPoint {
  const budget = DEFAULT_COST_SHARE * (candidates[bestSingle(examples, candidates)] as CandidateInfo).cost;
  const within = points.filter((p) => p.cost <= budget + 1e-9);
  const pool = within.length > 0 ? within : [points.reduce((a, b) => (b.cost < a.cost ? b : a))];
  return pool.reduce((a, b) =>
    b.quality > a.quality + 1e-9 || (Math.abs(b.quality - a.quality) <= 1e-9 && b.cost < a.cost) ? b : a,
  );
}
