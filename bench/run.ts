import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../infra/local/ports";
import { cleanUpOnSignals, exitAfterCleanUp, onCleanup } from "./cleanup";
import { formatColdStarts, measureLambdaColdStarts } from "./cold-start";
import { edgeBundleSize, formatEdgeBundle, measureEdgeStartup, publishConfig } from "./edge";
import { formatDecisions, measureDecisions } from "./learned-decision";
import { type LoadRequest, type LoadResult, runLoad, stopLoad } from "./load";
import { BENCH_REDIS_URL, createBenchSchema, createLimitedKey } from "./shared-state";
import { formatSpendWriter, measureSpendWriter } from "./spend-writer";

/**
 * `npm run bench`: direct upstream vs a bare undici keep-alive proxy vs the gateway, each in its
 * own process, loaded by autocannon from this one. Knobs (seconds / counts):
 * BENCH_DURATION=10, BENCH_CONNECTIONS=50, BENCH_WARMUP=2, BENCH_LATENCY_DURATION=5, BENCH_COLD_STARTS=5
 * (fresh processes per Lambda bundle, see cold-start.ts), BENCH_EDGE_STARTS=3 (fresh workerd runs of
 * the edge bundle, see edge.ts). The edge (workerd, on the same PostgreSQL and Redis as the
 * shared-state gateway) is measured at one connection only: locally it is one workerd process. Its
 * processes, schemas and temp directories are undone however it ends (cleanup.ts); the results
 * stay in bench/results/. BENCH_DECISIONS=2000: learned routing decisions timed per router type
 * (learned-decision.ts).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MASTER_KEY = "sk-routeiq-bench";

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

const settings = {
  duration: envNumber("BENCH_DURATION", 10),
  connections: Math.round(envNumber("BENCH_CONNECTIONS", 50)),
  warmup: envNumber("BENCH_WARMUP", 2),
  latencyDuration: envNumber("BENCH_LATENCY_DURATION", 5),
};

// One directory per run: two runs at once must not share a config or an embedded database. Made
// after the settings, so a bad knob fails before there is anything to clean up.
const workDir = mkdtempSync(join(tmpdir(), "routeiq-bench-"));
onCleanup(`temp dir ${workDir}`, () => rmSync(workDir, { recursive: true, force: true }));

// --- child processes -------------------------------------------------------------------------

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly logPath: string;
}

const children: Child[] = [];
let stopping = false;

function logTail(child: Child): string {
  try {
    return readFileSync(child.logPath, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}

function startChild(name: string, args: string[], env: Record<string, string>): Child {
  const logPath = join(workDir, `${name}.log`);
  const log = openSync(logPath, "w");
  // A file, not a pipe: nobody has to drain it, and it is there to read when a child dies.
  const proc = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", log, log, "ipc"],
  });
  closeSync(log);
  const child = { name, proc, logPath };
  children.push(child);
  onCleanup(`${name} (pid ${proc.pid})`, () => stopChild(proc));
  proc.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`\n${name} exited unexpectedly (code ${code}, signal ${signal}); the end of its log:`);
    console.error(logTail(child));
    shutdown(1);
  });
  return child;
}

function killChildren(signal: NodeJS.Signals): void {
  for (const { proc } of children) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  }
}

/** SIGTERM (the gateway drains), SIGKILL after 2 s; resolves once it is gone. */
function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 2_000);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}

/** Stops the load and ends the run; the first call's exit code wins. */
function shutdown(code: number): void {
  stopping = true;
  stopLoad();
  void exitAfterCleanUp(code);
}

cleanUpOnSignals(() => {
  stopping = true;
  stopLoad();
});
// Last resort for paths that skip the cleanup: `exit` handlers may only do synchronous work.
process.on("exit", () => killChildren("SIGKILL"));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (stopping) throw new Error("stopping");
    try {
      if (await check()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms${last === "" ? "" : ` (${last})`}`);
}

/** `npm start`'s build step: dist/ as the sources say, built only when they changed. */
async function buildIfChanged(): Promise<void> {
  const build = spawn(process.execPath, ["infra/bundle.mjs", "--if-changed"], {
    cwd: root,
    stdio: "inherit",
  });
  // Stopped half way, it leaves no build record: the next start builds again.
  const stopBuild = onCleanup("the build", () => stopChild(build));
  const code = await new Promise<number | null>((resolve) => build.once("exit", resolve));
  await stopBuild();
  if (code !== 0) throw new Error(`infra/bundle.mjs exited with ${code}`);
}

// --- the request every target gets ------------------------------------------------------------

const body = JSON.stringify({
  model: "bench-model",
  messages: [
    { role: "system", content: "You are a terse assistant." },
    { role: "user", content: "Say hello." },
  ],
  max_tokens: 16,
});

function requestFor(baseUrl: string, apiKey: string | undefined): LoadRequest {
  return {
    url: `${baseUrl}/v1/chat/completions`,
    headers: {
      "content-type": "application/json",
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
    },
    body,
  };
}

/** One real request before loading: a misconfigured target should fail loudly, not bench 401s. */
async function checkAnswers(name: string, request: LoadRequest): Promise<true> {
  const res = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
  const text = await res.text();
  if (res.status !== 200 || !text.includes('"chat.completion"')) {
    throw new Error(`${name} answered ${res.status}: ${text.slice(0, 300)}`);
  }
  return true;
}

// --- reporting ---------------------------------------------------------------------------------

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a");

function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}

function table(rows: Array<[string, LoadResult]>): string {
  const header = [
    "target",
    "conns",
    "req/s",
    "p50 ms",
    "p99 ms",
    "p50 ms (fine)",
    "p99 ms (fine)",
    "mean ms",
    "errors",
  ];
  const lines = rows.map(([name, r]) => [
    name,
    String(r.connections),
    fmt(r.rps, 0),
    String(r.latencyMs.p50),
    String(r.latencyMs.p99),
    fmt(r.fineLatencyMs.p50, 3),
    fmt(r.fineLatencyMs.p99, 3),
    fmt(r.fineLatencyMs.mean, 3),
    String(r.errors + r.non2xx),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join("  ");
  return [render(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(render)].join("\n");
}

// --- the run ----------------------------------------------------------------------------------

async function measure(name: string, request: LoadRequest, connections: number, seconds: number) {
  process.stdout.write(`  ${name}: ${connections} conn, warm-up ${settings.warmup}s + ${seconds}s ... `);
  await runLoad(request, connections, settings.warmup);
  const result = await runLoad(request, connections, seconds);
  if (stopping) throw new Error("stopping");
  console.log(`${fmt(result.rps, 0)} req/s`);
  if (result.requests === 0 || result.errors + result.non2xx > result.requests / 100) {
    throw new Error(`${name}: ${result.errors} errors and ${result.non2xx} non-2xx of ${result.requests}`);
  }
  return result;
}

async function main(): Promise<void> {
  await buildIfChanged();

  const [upstreamPort, proxyPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;

  startChild("upstream", ["--import", "tsx", "bench/upstream.ts"], { PORT: String(upstreamPort) });
  startChild("bare-proxy", ["--import", "tsx", "bench/bare-proxy.ts"], {
    PORT: String(proxyPort),
    UPSTREAM_URL: upstreamUrl,
  });
  const configPath = join(workDir, "config.yaml");
  writeFileSync(
    configPath,
    [
      "model_list:",
      "  - model_name: bench-model",
      "    litellm_params:",
      "      model: openai/bench-model",
      `      api_base: ${upstreamUrl}/v1`,
      "      api_key: sk-bench-upstream",
      "general_settings:",
      `  master_key: ${MASTER_KEY}`,
      "",
    ].join("\n"),
  );
  // The embedded stores (PGlite, in-memory KV), fresh each run: the repo's ./.data stays untouched,
  // and a DATABASE_URL or REDIS_URL in the caller's environment does not change what is measured.
  const dataDir = join(workDir, "data");
  rmSync(dataDir, { recursive: true, force: true });
  const gateway = startChild("gateway", ["dist/gateway-node.mjs", "--config", configPath], {
    PORT: String(gatewayPort),
    HOST: "127.0.0.1",
    ROUTEIQ_DATA_DIR: dataDir,
    DATABASE_URL: "",
    REDIS_URL: "",
    REDIS_HOST: "",
  });

  // The same gateway on PostgreSQL and Redis, for the virtual-key run.
  const schema = await createBenchSchema();
  const sharedPort = await freePort();
  const sharedUrl = `http://127.0.0.1:${sharedPort}`;
  startChild("gateway-shared", ["dist/gateway-node.mjs", "--config", configPath], {
    PORT: String(sharedPort),
    HOST: "127.0.0.1",
    DATABASE_URL: schema.url,
    REDIS_URL: BENCH_REDIS_URL,
  });

  const direct = requestFor(upstreamUrl, undefined);
  const proxy = requestFor(proxyUrl, undefined);
  const viaGateway = requestFor(gatewayUrl, MASTER_KEY);
  await waitFor("upstream", () => checkAnswers("upstream", direct));
  await waitFor("bare proxy", () => checkAnswers("bare proxy", proxy));
  await waitFor("gateway", async () => (await fetch(`${gatewayUrl}/_health/ready`)).ok, 60_000);
  await checkAnswers("gateway", viaGateway);
  await waitFor("shared-state gateway", async () => (await fetch(`${sharedUrl}/_health/ready`)).ok, 60_000);
  const virtualKey = await createLimitedKey(sharedUrl, MASTER_KEY);
  const viaVirtualKey = requestFor(sharedUrl, virtualKey);
  await checkAnswers("gateway (virtual key)", viaVirtualKey);

  // The edge on the same schema and Redis, serving the config as the sync worker would publish it.
  await publishConfig(schema.url, readFileSync(configPath, "utf8"));
  const edgePort = await freePort();
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  startChild("edge", ["--import", "tsx", "infra/local/edge-local.ts"], {
    DATABASE_URL: schema.url,
    REDIS_URL: BENCH_REDIS_URL,
    EDGE_PORT: String(edgePort),
    LITELLM_MASTER_KEY: MASTER_KEY,
  });
  await waitFor("edge", async () => (await fetch(`${edgeUrl}/_health/ready`)).ok, 60_000);
  const viaEdge = requestFor(edgeUrl, MASTER_KEY);
  const viaEdgeVirtualKey = requestFor(edgeUrl, virtualKey);
  await checkAnswers("edge", viaEdge);
  await checkAnswers("edge (virtual key)", viaEdgeVirtualKey);

  const { duration, connections, latencyDuration } = settings;
  console.log(`\nthroughput (${connections} connections, ${duration}s each):`);
  const loaded: Array<[string, LoadResult]> = [
    ["direct upstream", await measure("direct upstream", direct, connections, duration)],
    ["bare proxy", await measure("bare proxy", proxy, connections, duration)],
    ["gateway", await measure("gateway", viaGateway, connections, duration)],
    [
      "gateway, HA stores",
      await measure(
        "gateway on Postgres + Redis, master key",
        requestFor(sharedUrl, MASTER_KEY),
        connections,
        duration,
      ),
    ],
    [
      "gateway, virtual key",
      await measure(
        "gateway, virtual key (limits in Redis, spend log in Postgres)",
        viaVirtualKey,
        connections,
        duration,
      ),
    ],
  ];
  console.log(`\nlatency (1 connection, ${latencyDuration}s each):`);
  const single: Array<[string, LoadResult]> = [
    ["direct upstream", await measure("direct upstream", direct, 1, latencyDuration)],
    ["bare proxy", await measure("bare proxy", proxy, 1, latencyDuration)],
    ["gateway", await measure("gateway", viaGateway, 1, latencyDuration)],
    ["edge (workerd)", await measure("edge (workerd), master key", viaEdge, 1, latencyDuration)],
    [
      "edge, virtual key",
      await measure(
        "edge, virtual key (limits via Upstash REST, spend via Neon WS)",
        viaEdgeVirtualKey,
        1,
        latencyDuration,
      ),
    ],
  ];
  const gatewayPeakRssMb = peakRssMb(gateway.proc.pid);

  const [, directLoaded] = loaded[0] as [string, LoadResult];
  const [, proxyLoaded] = loaded[1] as [string, LoadResult];
  const [, gatewayLoaded] = loaded[2] as [string, LoadResult];
  const [, haLoaded] = loaded[3] as [string, LoadResult];
  const [, virtualKeyLoaded] = loaded[4] as [string, LoadResult];
  // The spend log is written off the request path; give it a moment, then check nothing was lost.
  await new Promise((r) => setTimeout(r, 3_000));
  const spendRows = await schema.countSpendRows();
  const [, directSingle] = single[0] as [string, LoadResult];
  const [, proxySingle] = single[1] as [string, LoadResult];
  const [, gatewaySingle] = single[2] as [string, LoadResult];
  const [, edgeSingle] = single[3] as [string, LoadResult];
  const [, edgeVirtualKeySingle] = single[4] as [string, LoadResult];
  const ratios = {
    gatewayVsBareProxyThroughput: gatewayLoaded.rps / proxyLoaded.rps,
    gatewayVsDirectThroughput: gatewayLoaded.rps / directLoaded.rps,
    haStoresVsBareProxyThroughput: haLoaded.rps / proxyLoaded.rps,
    virtualKeyVsBareProxyThroughput: virtualKeyLoaded.rps / proxyLoaded.rps,
    bareProxyVsDirectThroughput: proxyLoaded.rps / directLoaded.rps,
    addedP50Ms: gatewaySingle.latencyMs.p50 - directSingle.latencyMs.p50,
    addedP50FineMs: gatewaySingle.fineLatencyMs.p50 - directSingle.fineLatencyMs.p50,
    addedMeanMs: gatewaySingle.fineLatencyMs.mean - directSingle.fineLatencyMs.mean,
    bareProxyAddedP50FineMs: proxySingle.fineLatencyMs.p50 - directSingle.fineLatencyMs.p50,
    edgeAddedP50FineMs: edgeSingle.fineLatencyMs.p50 - directSingle.fineLatencyMs.p50,
    edgeVirtualKeyAddedP50FineMs: edgeVirtualKeySingle.fineLatencyMs.p50 - directSingle.fineLatencyMs.p50,
  };
  const goals = {
    throughput: ratios.gatewayVsBareProxyThroughput >= 0.5,
    addedLatency: ratios.addedP50FineMs < 1,
    virtualKeyThroughput: ratios.virtualKeyVsBareProxyThroughput >= 0.4,
  };
  const mark = (ok: boolean) => (ok ? "PASS" : "MISS");

  console.log(`\n${table([...loaded, ...single])}`);
  console.log("\n(p50/p99 ms: autocannon's 1 ms histogram; (fine): exact per-response hrtime durations)\n");
  console.log(`gateway / bare proxy throughput   ${fmt(ratios.gatewayVsBareProxyThroughput)}x`);
  console.log(`gateway / direct throughput       ${fmt(ratios.gatewayVsDirectThroughput)}x`);
  console.log(`bare proxy / direct throughput    ${fmt(ratios.bareProxyVsDirectThroughput)}x`);
  console.log(`gateway on Postgres+Redis / bare  ${fmt(ratios.haStoresVsBareProxyThroughput)}x (master key)`);
  console.log(`virtual key / bare proxy          ${fmt(ratios.virtualKeyVsBareProxyThroughput)}x`);
  console.log(
    `spend-log rows written            ${spendRows} (the Postgres runs and the edge's, warm-ups and check requests included)`,
  );
  console.log(
    `added p50 at 1 connection         ${fmt(ratios.addedP50FineMs, 3)} ms (autocannon integer p50: ${ratios.addedP50Ms} ms; mean: ${fmt(ratios.addedMeanMs, 3)} ms)`,
  );
  console.log(`bare proxy added p50 (reference)  ${fmt(ratios.bareProxyAddedP50FineMs, 3)} ms`);
  console.log(`edge added p50 at 1 connection    ${fmt(ratios.edgeAddedP50FineMs, 3)} ms (master key)`);
  console.log(
    `edge added p50, virtual key       ${fmt(ratios.edgeVirtualKeyAddedP50FineMs, 3)} ms (loopback bridges; over the internet add Upstash's round trips)`,
  );
  console.log(`gateway peak RSS (VmHWM)          ${fmt(gatewayPeakRssMb, 1)} MB`);
  console.log("\ngoals (informational):");
  console.log(
    `  [${mark(goals.throughput)}] throughput >= 0.5x bare proxy (${fmt(ratios.gatewayVsBareProxyThroughput)}x)`,
  );
  console.log(
    `  [${mark(goals.addedLatency)}] added p50 < 1 ms at 1 connection (${fmt(ratios.addedP50FineMs, 3)} ms)`,
  );
  console.log(
    `  [${mark(goals.virtualKeyThroughput)}] virtual key with limits and spend log >= 0.4x bare proxy (${fmt(ratios.virtualKeyVsBareProxyThroughput)}x)`,
  );

  const coldStartRuns = Math.round(envNumber("BENCH_COLD_STARTS", 5));
  const lambdaColdStarts = await measureLambdaColdStarts(join(root, "dist"), coldStartRuns);
  console.log(`\n${formatColdStarts(lambdaColdStarts, coldStartRuns)}`);

  const edgeStarts = Math.round(envNumber("BENCH_EDGE_STARTS", 3));
  const edgeBundle = await edgeBundleSize(join(root, "dist", "edge"));
  const edgeStartup = await measureEdgeStartup({
    bundleDir: join(root, "dist", "edge"),
    databaseUrl: schema.url,
    redisUrl: BENCH_REDIS_URL,
    masterKey: MASTER_KEY,
    runs: edgeStarts,
  });
  console.log(`\n${formatEdgeBundle(edgeBundle, edgeStartup, edgeStarts)}`);

  const learnedDecisions = await measureDecisions(root, Math.round(envNumber("BENCH_DECISIONS", 2_000)));
  console.log(`\n${formatDecisions(learnedDecisions)}`);

  const spendWriter = await measureSpendWriter(Math.round(envNumber("BENCH_SPEND_ROWS", 50_000)));
  console.log(`\n${formatSpendWriter(spendWriter)}`);

  const resultsPath = join(root, "bench", "results", "latest.json");
  mkdirSync(dirname(resultsPath), { recursive: true });
  writeFileSync(
    resultsPath,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        settings,
        loaded: Object.fromEntries(loaded),
        singleConnection: Object.fromEntries(single),
        ratios,
        gatewayPeakRssMb,
        spendRows,
        goals,
        lambdaColdStarts,
        edgeBundle,
        edgeStartup,
        learnedDecisions,
        spendWriter,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nresults: ${resultsPath}`);
}

main().then(
  () => shutdown(0),
  (error: unknown) => {
    if (!stopping) console.error(`\nbench failed: ${error instanceof Error ? error.message : String(error)}`);
    shutdown(1);
  },
);
