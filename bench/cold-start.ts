import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { cleanUp, cleanUpOnSignals, onCleanup } from "./cleanup";
import { BENCH_REDIS_URL, createBenchSchema } from "./shared-state";

/**
 * The Lambda bundles' cold start: each function's asset size, and in fresh Node processes the time
 * from process start until its handler is imported and until its first invoke is answered (the
 * gateway: an ALB `/_health/live` event on the machine's PostgreSQL and Redis; migrate: a run on an
 * up-to-date schema). Medians over BENCH_COLD_STARTS processes (default 5). Lambda's own runtime
 * start and the download of the asset are not in these numbers.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FUNCTIONS = ["gateway", "sync", "migrate"] as const;
type LambdaName = (typeof FUNCTIONS)[number];

/** Node itself: the same probe importing an empty handler, so the bundles' own cost reads off. */
const BASELINE = "export const handler = async () => ({ statusCode: 200 });\n";

export interface ColdStarts {
  readonly node: { readonly importMs: number; readonly firstInvokeMs: number };
  readonly functions: Record<LambdaName, ColdStart>;
}

export interface ColdStart {
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Median ms from process start to the handler imported. */
  readonly importMs: number;
  /** Median ms from process start to the first invoke answered (undefined: not invoked). */
  readonly firstInvokeMs: number | undefined;
}

// Runs in the fresh process: performance.now() counts from that process's start.
const PROBE = `
const { handler } = await import(process.env.PROBE_BUNDLE);
const imported = performance.now();
let answered;
if (process.env.PROBE_EVENT !== undefined) {
  const result = await handler(JSON.parse(process.env.PROBE_EVENT));
  if (result?.statusCode !== undefined && result.statusCode !== 200) throw new Error("status " + result.statusCode);
  answered = performance.now();
}
process.stderr.write("PROBE " + JSON.stringify({ imported, answered }) + "\\n");
process.exit(0);
`;

const HEALTH_EVENT = {
  requestContext: {
    elb: { targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/routeiq/0" },
  },
  httpMethod: "GET",
  path: "/_health/live",
  headers: { host: "routeiq.example", "user-agent": "ELB-HealthChecker/2.0" },
  queryStringParameters: {},
  body: "",
  isBase64Encoded: false,
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

async function probe(
  probePath: string,
  bundle: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{ imported: number; answered?: number }> {
  const { stderr } = await promisify(execFile)(process.execPath, [probePath], {
    cwd: dirname(bundle),
    env: {
      PATH: process.env.PATH ?? "",
      ...env,
      PROBE_BUNDLE: pathToFileURL(bundle).href,
      ...(event === undefined ? {} : { PROBE_EVENT: JSON.stringify(event) }),
    },
  });
  const line = stderr.split("\n").find((l) => l.startsWith("PROBE "));
  if (line === undefined) throw new Error(`cold-start probe of ${bundle} printed no result:\n${stderr}`);
  return JSON.parse(line.slice("PROBE ".length));
}

/** Measures the bundles under `distDir`/lambda (built by `npm run build`). */
export async function measureLambdaColdStarts(
  distDir = join(root, "dist"),
  runs = Math.max(1, Number(process.env.BENCH_COLD_STARTS ?? 5)),
): Promise<ColdStarts> {
  const workDir = mkdtempSync(join(tmpdir(), "routeiq-cold-start-"));
  const removeWorkDir = onCleanup(`temp dir ${workDir}`, () =>
    rmSync(workDir, { recursive: true, force: true }),
  );
  const probePath = join(workDir, "probe.mjs");
  writeFileSync(probePath, PROBE);
  const baselinePath = join(workDir, "baseline.mjs");
  writeFileSync(baselinePath, BASELINE);
  const schema = await createBenchSchema();
  // The bundled config (config/deploy.yaml) takes its master key from the environment.
  const env = { DATABASE_URL: schema.url, REDIS_URL: BENCH_REDIS_URL, LITELLM_MASTER_KEY: "sk-bench" };
  try {
    const baseline: { imported: number; answered?: number }[] = [];
    for (let run = 0; run < runs; run += 1) baseline.push(await probe(probePath, baselinePath, {}, {}));
    const functions = {} as Record<LambdaName, ColdStart>;
    // migrate first: the gateway function expects a migrated schema.
    for (const name of ["migrate", "gateway", "sync"] as const) {
      const bundle = join(distDir, "lambda", name, "index.mjs");
      const bytes = readFileSync(bundle);
      const event = name === "gateway" ? HEALTH_EVENT : name === "migrate" ? {} : undefined;
      const samples: { imported: number; answered?: number }[] = [];
      for (let run = 0; run < runs; run += 1) samples.push(await probe(probePath, bundle, event, env));
      const answered = samples.flatMap((s) => (s.answered === undefined ? [] : [s.answered]));
      functions[name] = {
        bytes: bytes.length,
        gzipBytes: gzipSync(bytes, { level: 9 }).length,
        importMs: median(samples.map((s) => s.imported)),
        firstInvokeMs: answered.length > 0 ? median(answered) : undefined,
      };
    }
    return {
      node: {
        importMs: median(baseline.map((s) => s.imported)),
        firstInvokeMs: median(baseline.map((s) => s.answered ?? s.imported)),
      },
      functions,
    };
  } finally {
    await schema.drop();
    await removeWorkDir();
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** The section `npm run bench` prints. */
export function formatColdStarts(results: ColdStarts, runs: number): string {
  const lines = [
    `Lambda bundles (dist/lambda/*/index.mjs; cold start = fresh node process, median of ${runs}):`,
    `  ${"function".padEnd(10)}${"bytes".padStart(12)}${"gzip".padStart(12)}${"import ms".padStart(12)}${"1st invoke ms".padStart(16)}`,
  ];
  const { node } = results;
  lines.push(
    `  ${"(node)".padEnd(10)}${"-".padStart(12)}${"-".padStart(12)}${node.importMs.toFixed(0).padStart(12)}${node.firstInvokeMs.toFixed(0).padStart(16)}`,
  );
  for (const name of FUNCTIONS) {
    const r = results.functions[name];
    lines.push(
      `  ${name.padEnd(10)}${kb(r.bytes).padStart(12)}${kb(r.gzipBytes).padStart(12)}${r.importMs.toFixed(0).padStart(12)}${(r.firstInvokeMs === undefined ? "-" : r.firstInvokeMs.toFixed(0)).padStart(16)}`,
    );
  }
  lines.push(
    "  ((node): an empty handler, Node's own start on this machine; gateway 1st invoke: /_health/live ALB event incl. opening PostgreSQL and Redis; migrate: an up-to-date run)",
  );
  return lines.join("\n");
}

// `tsx bench/cold-start.ts`: this section alone, on the current build.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  cleanUpOnSignals();
  try {
    const runs = Math.max(1, Number(process.env.BENCH_COLD_STARTS ?? 5));
    const results = await measureLambdaColdStarts(undefined, runs);
    console.log(formatColdStarts(results, runs));
    console.log(JSON.stringify(results));
  } finally {
    await cleanUp();
  }
}
