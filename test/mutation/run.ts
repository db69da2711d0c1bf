import { mkdir, readFile } from "node:fs/promises";
import { Stryker } from "@stryker-mutator/core";
import { type MutationTarget, targets } from "./targets";

/**
 * `npm run mutate [-- name ...]`: StrykerJS over each target file in turn, against only its own tests,
 * then a table of scores. Needs the services the tests need (PostgreSQL, Redis via TEST_REDIS_URL).
 * MUTATE_CONCURRENCY sets the test processes per file (default 2).
 */

type MutantResult = Awaited<ReturnType<Stryker["runMutationTest"]>>[number];

const THRESHOLD = 85;
const TSCONFIG = "test/mutation/tsconfig.json";
const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

interface Score {
  readonly name: string;
  readonly file: string;
  readonly score: number;
  readonly killed: number;
  readonly survived: number;
  readonly noCoverage: number;
}

function score(target: MutationTarget, results: readonly MutantResult[]): Score {
  const count = (status: string) => results.filter((r) => r.status === status).length;
  const detected = results.filter((r) => DETECTED.has(r.status)).length;
  const undetected = results.filter((r) => UNDETECTED.has(r.status)).length;
  return {
    name: target.name,
    file: target.file,
    score: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected),
    killed: detected,
    survived: count("Survived"),
    noCoverage: count("NoCoverage"),
  };
}

async function mutate(target: MutationTarget): Promise<Score> {
  // Read by test/mutation/vitest.config.ts in Stryker's test processes, which inherit it.
  process.env.MUTATE_TESTS = target.tests.join(",");
  const stryker = new Stryker({
    mutate: [target.file],
    testRunner: "vitest",
    vitest: { configFile: "test/mutation/vitest.config.ts", related: false },
    checkers: ["typescript"],
    tsconfigFile: TSCONFIG,
    coverageAnalysis: "perTest",
    concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
    timeoutMS: 30_000,
    reporters: ["progress-append-only", "clear-text", "json"],
    clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: false },
    jsonReporter: { fileName: `reports/mutation/${target.name}.json` },
    plugins: ["@stryker-mutator/vitest-runner", "@stryker-mutator/typescript-checker"],
    tempDirName: ".stryker-tmp",
    cleanTempDir: "always",
  });
  return score(target, await stryker.runMutationTest());
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !targets.some((t) => t.name === w));
if (unknown.length > 0) {
  throw new Error(`unknown target(s) ${unknown.join(", ")}; known: ${targets.map((t) => t.name).join(", ")}`);
}
const checked: string[] = JSON.parse(await readFile(TSCONFIG, "utf8")).files;
const unchecked = targets.filter((t) => !checked.includes(`../../${t.file}`));
if (unchecked.length > 0)
  throw new Error(`add ${unchecked.map((t) => t.file).join(", ")} to ${TSCONFIG}'s files`);
await mkdir("reports/mutation", { recursive: true });
const scores: Score[] = [];
for (const target of targets.filter((t) => wanted.length === 0 || wanted.includes(t.name))) {
  scores.push(await mutate(target));
}
console.log("\n| file | score | killed | survived | no coverage |\n| --- | --- | --- | --- | --- |");
for (const s of scores) {
  console.log(`| \`${s.file}\` | ${s.score.toFixed(1)}% | ${s.killed} | ${s.survived} | ${s.noCoverage} |`);
}
const below = scores.filter((s) => s.score < THRESHOLD);
if (below.length > 0) {
  console.log(`\nbelow ${THRESHOLD}%: ${below.map((s) => s.name).join(", ")}`);
  process.exitCode = 1;
}
