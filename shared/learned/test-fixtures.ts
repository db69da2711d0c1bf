import type { CandidateInfo } from "./router";
import type { Example, TrainingSet } from "./train/dataset";
import { seededRandom } from "./train/random";

/**
 * A tiny routing problem with an obvious answer: three kinds of prompt, each best served by a
 * different candidate. `cheap` knows trivia, `coder` writes code, `big` does maths (and is fair at
 * everything), so a router that learned anything sends each kind to its candidate.
 */
export const CANDIDATES: readonly CandidateInfo[] = Object.freeze([
  { name: "cheap", cost: 0.2 },
  { name: "coder", cost: 0.4 },
  { name: "big", cost: 1.8 },
]);

export const WORDS = {
  trivia: [
    "who",
    "wrote",
    "novel",
    "capital",
    "country",
    "river",
    "painted",
    "singer",
    "year",
    "won",
    "famous",
    "city",
  ],
  code: [
    "def",
    "function",
    "return",
    "python",
    "list",
    "string",
    "loop",
    "class",
    "import",
    "array",
    "(",
    ")",
    ":",
  ],
  maths: [
    "solve",
    "equation",
    "integral",
    "derivative",
    "sum",
    "prime",
    "+",
    "=",
    "x",
    "matrix",
    "probability",
    "7",
  ],
} as const;
export type Kind = keyof typeof WORDS;
export const KINDS = Object.keys(WORDS) as Kind[];

const SCORES: Readonly<Record<Kind, readonly number[]>> = {
  trivia: [1, 0, 0.6],
  code: [0, 1, 0.6],
  maths: [0, 0, 0.6],
};

export function prompt(kind: Kind, random: () => number, length = 8): string {
  const words = WORDS[kind];
  return Array.from({ length }, () => words[Math.floor(random() * words.length)]).join(" ");
}

export function tinySet(perKind = 30, seed = 3): TrainingSet {
  const random = seededRandom(seed);
  const examples: Example[] = [];
  for (let i = 0; i < perKind; i++) {
    for (const kind of KINDS)
      examples.push({ text: prompt(kind, random), scores: Float64Array.from(SCORES[kind]) });
  }
  return { candidates: CANDIDATES, examples };
}

/** Small sizes, so a test trains every router type in well under a second. */
export const TINY = Object.freeze({ buckets: 512, dims: 8, clusters: 3, epochs: 60, source: "test" });
