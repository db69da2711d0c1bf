import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeArtifact } from "../../shared/learned/artifact/decode";
import { type RouterType, routerTypes } from "../../shared/learned/artifact/format";
import { type LearnedRouter, type LoadedArtifact, rank } from "../../shared/learned/router";
import { type Example, split, trainingSet } from "../../shared/learned/train/dataset";
import {
  bestSingle,
  cheapest,
  meanScores,
  type Outcome,
  oraclePicks,
  outcomeOf,
} from "../../shared/learned/train/evaluate";
import { type KnobKind, sweep } from "../../shared/learned/train/knob";
import { trainArtifact } from "../../shared/learned/train/train";
import { flags, numberFlag } from "./cli";
import { readCandidates, readRows } from "./data-files";
import { routerList } from "./train";

const COMMAND = "router:eval";

/** LLMRouter's data beside the checkout (`../shared/data/llmrouter`), unless flags say otherwise. */
const DEFAULT_DATA_DIR = join(
  resolve(dirname(fileURLToPath(import.meta.url)), "../.."),
  "..",
  "shared/data/llmrouter",
);

export interface EvalRow extends Outcome {
  readonly name: string;
  readonly knob?: string;
}

export interface EvalReport {
  readonly rows: readonly EvalRow[];
  readonly bestSingle: EvalRow;
  readonly sweeps: readonly {
    router: string;
    knob: string;
    points: readonly (Outcome & { value: number })[];
  }[];
  readonly trainRows: number;
  readonly validationRows: number;
  readonly artifactBytes: number;
}

const knobName = (router: LearnedRouter): string =>
  "minQuality" in router.knob
    ? `min_quality=${router.knob.minQuality}`
    : `cost_weight=${router.knob.costWeight}`;

/**
 * Trains every router type on the training part of `rows` and measures each on the validation
 * part (a seeded split of the same file), next to the baselines.
 */
export async function evaluate(options: {
  dataFile: string;
  candidatesFile: string;
  routers: readonly RouterType[];
  validationFraction: number;
  seed: number;
  epochs?: number;
  onProgress?: (message: string) => void;
}): Promise<EvalReport> {
  const { set } = trainingSet(readRows(options.dataFile), readCandidates(options.candidatesFile));
  const { fit, held } = split(set.examples, options.validationFraction, options.seed);
  const candidates = set.candidates;
  const json = trainArtifact(
    { candidates, examples: fit },
    {
      routers: options.routers,
      source: "router:eval",
      epochs: options.epochs,
      onProgress: options.onProgress,
    },
  );
  const bytes = new TextEncoder().encode(JSON.stringify(json));
  const artifact = await decodeArtifact(bytes);
  const outcome = (picks: number[]) => outcomeOf(picks, held, candidates);
  const best = bestSingle(fit, candidates);
  const means = meanScores(held, candidates.length);
  const rows: EvalRow[] = artifact.routers.map((router) => ({
    name: `llmrouter-${router.type}`,
    knob: knobName(router),
    ...outcome(
      held.map((e) => rank(router, predictLocal(artifact, router, e), candidates).order[0] as number),
    ),
  }));
  const bestRow = { name: `best single (${candidates[best]?.name})`, ...outcome(held.map(() => best)) };
  const cheap = cheapest(candidates);
  rows.push(
    bestRow,
    { name: `cheapest (${candidates[cheap]?.name})`, ...outcome(held.map(() => cheap)) },
    {
      name: "random (expected)",
      quality: means.reduce((a, b) => a + b, 0) / means.length,
      cost: candidates.reduce((a, c) => a + c.cost, 0) / candidates.length,
    },
    { name: "oracle", ...outcome(oraclePicks(held, candidates)) },
  );
  const sweeps = artifact.routers.map((router) => {
    const kind: KnobKind = "minQuality" in router.knob ? "minQuality" : "costWeight";
    const predictions = held.map((e) => predictLocal(artifact, router, e));
    return {
      router: `llmrouter-${router.type}`,
      knob: kind === "minQuality" ? "min_quality" : "cost_weight",
      points: sweep(kind, predictions, held, candidates),
    };
  });
  return {
    rows,
    bestSingle: bestRow,
    sweeps,
    trainRows: fit.length,
    validationRows: held.length,
    artifactBytes: bytes.length,
  };
}

const predictLocal = (artifact: LoadedArtifact, router: LearnedRouter, e: Example) =>
  router.predict(artifact.local.encode(e.text));

const f3 = (v: number) => v.toFixed(3);
const pct = (v: number, of: number) => (of === 0 ? "n/a" : `${Math.round((100 * v) / of)}%`);

export function formatReport(report: EvalReport): string {
  const best = report.bestSingle;
  const lines = [
    `Validation: ${report.validationRows} rows held out of train.json; routers trained on the other ${report.trainRows}.`,
    "",
    "| router | quality | cost | quality vs best single | cost vs best single | default knob |",
    "| --- | --- | --- | --- | --- | --- |",
    ...report.rows.map(
      (r) =>
        `| ${r.name} | ${f3(r.quality)} | ${f3(r.cost)} | ${pct(r.quality, best.quality)} | ${pct(r.cost, best.cost)} | ${r.knob ?? ""} |`,
    ),
  ];
  for (const s of report.sweeps) {
    lines.push("", `${s.router}, ${s.knob} → quality / cost:`, "");
    lines.push(`| ${s.knob} | ${s.points.map((p) => p.value).join(" | ")} |`);
    lines.push(`| --- | ${s.points.map(() => "---").join(" | ")} |`);
    lines.push(`| quality | ${s.points.map((p) => f3(p.quality)).join(" | ")} |`);
    lines.push(`| cost | ${s.points.map((p) => f3(p.cost)).join(" | ")} |`);
  }
  return lines.join("\n");
}

/** `npm run router:eval`: the table of docs/learned-routing.md, on this checkout's data. */
export async function evalCommand(argv: readonly string[]): Promise<void> {
  const values = flags(
    COMMAND,
    {
      data: { type: "string" },
      candidates: { type: "string" },
      routers: { type: "string" },
      "validation-fraction": { type: "string" },
      seed: { type: "string" },
      epochs: { type: "string" },
    },
    argv,
  );
  const report = await evaluate({
    dataFile: values.data ?? join(DEFAULT_DATA_DIR, "train.json"),
    candidatesFile: values.candidates ?? join(DEFAULT_DATA_DIR, "llm_candidates.json"),
    routers: values.routers === undefined ? routerTypes : routerList(values.routers),
    validationFraction: numberFlag(COMMAND, "validation-fraction", values["validation-fraction"], 0.2),
    seed: numberFlag(COMMAND, "seed", values.seed, 7),
    epochs: values.epochs === undefined ? undefined : numberFlag(COMMAND, "epochs", values.epochs, 40),
    onProgress: (message) => console.error(`${COMMAND}: ${message}`),
  });
  console.log(formatReport(report));
}
