import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../infra/local/ports";
import { cleanUpOnSignals, exitAfterCleanUp, onCleanup } from "./cleanup";
import { type ColdStarts, formatColdStarts, measureLambdaColdStarts } from "./cold-start";
import { edgeBundleSize, formatEdgeBundle, measureEdgeStartup, publishConfig } from "./edge";
import { formatDecisions, measureDecisions } from "./learned-decision";
import { type LoadRequest, type LoadResult, runLoad, stopLoad } from "./load";
import { cpuSeconds, processTree } from "./process-stats";
import { BENCH_REDIS_URL, createBenchSchema, createLimitedKey } from "./shared-state";
import { mixedBodies, type SoakResult, soak } from "./soak";
import { formatSpendWriter, measureSpendWriter } from "./spend-writer";

/**
 * `npm run bench`: a bare undici keep-alive proxy and the gateway (embedded, and on PostgreSQL +
 * Redis with the master key and with a limited virtual key) in front of one trivial upstream, each
 * in its own process, loaded by autocannon from this one, and once more with OpenTelemetry tracing on
 * (otlp-sink.ts); every figure of docs/performance.md is
 * printed with its goal beside it. Knobs (seconds / counts):
 * BENCH_DURATION=10, BENCH_CONNECTIONS=50, BENCH_WARMUP=2 (seconds per warm-up slice, repeated until
 * BENCH_WARMUP_REQUESTS=2000 were served, at most 30 s), BENCH_LATENCY_DURATION=5;
 * BENCH_SOAK_SECONDS=180 (0 skips the memory soaks), BENCH_SOAK_CONNECTIONS=20,
 * BENCH_SOAK_SAMPLE_SECONDS=5, BENCH_SOAK_PROMPTS=2000 (distinct prompts, so the cache both hits
 * and misses); BENCH_WORKERS=1 (0 skips the 1 → 2 worker run); BENCH_EXTRAS=1 (0 skips the edge,
 * the Lambda cold starts and the learned-routing decisions: BENCH_COLD_STARTS=5,
 * BENCH_EDGE_STARTS=3, BENCH_DECISIONS=2000, see cold-start.ts, edge.ts, learned-decision.ts).
 * A few minutes here: BENCH_DURATION=5 BENCH_LATENCY_DURATION=3 BENCH_SOAK_SECONDS=40 BENCH_EXTRAS=0.
 * Its processes, schemas and temp directories are undone however it ends (cleanup.ts); the results
 * stay in bench/results/latest.json.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const MASTER_KEY = "sk-routeiq-bench";

function envNumber(name: string, fallback: number, { zeroOk = false } = {}): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroOk))
    throw new Error(`${name} must be a ${zeroOk ? "non-negative" : "positive"} number, got ${raw}`);
  return value;
}

const settings = {
  duration: envNumber("BENCH_DURATION", 10),
  connections: Math.round(envNumber("BENCH_CONNECTIONS", 50)),
  warmup: envNumber("BENCH_WARMUP", 2),
  // A cold process runs unoptimised code: on a busy machine two seconds may be a hundred requests.
  warmupRequests: Math.round(envNumber("BENCH_WARMUP_REQUESTS", 2_000, { zeroOk: true })),
  latencyDuration: envNumber("BENCH_LATENCY_DURATION", 5),
  soakSeconds: envNumber("BENCH_SOAK_SECONDS", 180, { zeroOk: true }),
  soakConnections: Math.round(envNumber("BENCH_SOAK_CONNECTIONS", 20)),
  soakSampleSeconds: envNumber("BENCH_SOAK_SAMPLE_SECONDS", 5),
  soakDistinct: Math.round(envNumber("BENCH_SOAK_PROMPTS", 2_000)),
  workers: envNumber("BENCH_WORKERS", 1, { zeroOk: true }) > 0,
  extras: envNumber("BENCH_EXTRAS", 1, { zeroOk: true }) > 0,
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
    // Stopped on purpose (stopGateway) or at the end: only a death nobody asked for fails the run.
    if (stopping || !children.includes(child)) return;
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

interface Goal {
  readonly figure: string;
  readonly value: string;
  readonly goal: string;
  readonly met: boolean;
}

const goal = (figure: string, value: string, target: string, met: boolean): Goal => ({
  figure,
  value,
  goal: target,
  met,
});

function goalTable(goals: readonly Goal[]): string {
  const w0 = Math.max(...goals.map((g) => g.figure.length));
  const w1 = Math.max(...goals.map((g) => g.value.length));
  return goals
    .map(
      (g) =>
        `  [${g.met ? "MET " : "MISS"}] ${g.figure.padEnd(w0)}  ${g.value.padStart(w1)}   goal ${g.goal}`,
    )
    .join("\n");
}

// --- the run ----------------------------------------------------------------------------------

/** A load result with the target's CPU time per request (its process and any workers). */
type Measured = LoadResult & { readonly cpuUsPerRequest: number };

async function measure(
  name: string,
  request: LoadRequest,
  connections: number,
  seconds: number,
  target: Child,
): Promise<Measured> {
  process.stdout.write(`  ${name}: ${connections} conn, warm-up ${settings.warmup}s + ${seconds}s ... `);
  // Warm-up slices until the target has served `warmupRequests` (at most 30 s of them).
  const warmUntil = Date.now() + 30_000;
  let warmed = 0;
  do warmed += (await runLoad(request, connections, settings.warmup)).requests;
  while (warmed < settings.warmupRequests && Date.now() < warmUntil && !stopping);
  const pids = processTree(target.proc.pid as number);
  const cpuBefore = cpuSeconds(pids);
  const loadResult = await runLoad(request, connections, seconds);
  const cpuUsPerRequest = ((cpuSeconds(pids) - cpuBefore) * 1e6) / loadResult.requests;
  const result = { ...loadResult, cpuUsPerRequest };
  if (stopping) throw new Error("stopping");
  console.log(`${fmt(result.rps, 0)} req/s, ${fmt(cpuUsPerRequest, 0)} µs CPU per request`);
  if (result.requests === 0 || result.errors + result.non2xx > result.requests / 100) {
    throw new Error(`${name}: ${result.errors} errors and ${result.non2xx} non-2xx of ${result.requests}`);
  }
  return result;
}

function gatewayConfig(upstreamUrl: string, cache: boolean): string {
  const path = join(workDir, cache ? "config-cache.yaml" : "config.yaml");
  writeFileSync(
    path,
    [
      "model_list:",
      "  - model_name: bench-model",
      "    litellm_params:",
      "      model: openai/bench-model",
      `      api_base: ${upstreamUrl}/v1`,
      "      api_key: sk-bench-upstream",
      ...(cache ? ["litellm_settings:", "  cache: true"] : []),
      "general_settings:",
      `  master_key: ${MASTER_KEY}`,
      "",
    ].join("\n"),
  );
  return path;
}

interface Gateway {
  readonly url: string;
  readonly child: Child;
}

/**
 * A gateway from `npm start`'s bundle. Embedded: its own fresh data directory, and a DATABASE_URL
 * or REDIS_URL in the caller's environment does not change what is measured.
 */
async function startGateway(
  name: string,
  configPath: string,
  stores: { embedded: true } | { databaseUrl: string; redisPrefix: string },
  extraEnv: Record<string, string> = {},
): Promise<Gateway> {
  const port = await freePort();
  const storeEnv: Record<string, string> =
    "embedded" in stores
      ? { ROUTEIQ_DATA_DIR: join(workDir, `data-${name}`), DATABASE_URL: "", REDIS_URL: "", REDIS_HOST: "" }
      : {
          DATABASE_URL: stores.databaseUrl,
          REDIS_URL: BENCH_REDIS_URL,
          ROUTEIQ_REDIS_PREFIX: stores.redisPrefix,
        };
  const child = startChild(name, ["dist/gateway-node.mjs", "--config", configPath], {
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    ...storeEnv,
    ...extraEnv,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(name, async () => (await fetch(`${url}/_health/ready`)).ok, 180_000);
  return { url, child };
}

/** Stops a child on purpose: its exit no longer fails the run. */
async function retire(child: Child): Promise<void> {
  const index = children.indexOf(child);
  if (index >= 0) children.splice(index, 1);
  await stopChild(child.proc);
}

const stopGateway = (gateway: Gateway) => retire(gateway.child);

async function main(): Promise<void> {
  await buildIfChanged();
  const { duration, connections, latencyDuration } = settings;

  const [upstreamPort, proxyPort] = await Promise.all([freePort(), freePort()]);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const upstream = startChild("upstream", ["--import", "tsx", "bench/upstream.ts"], {
    PORT: String(upstreamPort),
  });
  const bareProxy = startChild("bare-proxy", ["--import", "tsx", "bench/bare-proxy.ts"], {
    PORT: String(proxyPort),
    UPSTREAM_URL: upstreamUrl,
  });
  const configPath = gatewayConfig(upstreamUrl, false);
  const schema = await createBenchSchema();
  const shared = { databaseUrl: schema.url, redisPrefix: `bench${process.pid}` };

  const direct = requestFor(upstreamUrl, undefined);
  const proxy = requestFor(proxyUrl, undefined);
  await waitFor("upstream", () => checkAnswers("upstream", direct));
  await waitFor("bare proxy", () => checkAnswers("bare proxy", proxy));
  const embedded = await startGateway("gateway-embedded", configPath, { embedded: true });
  const sharedGateway = await startGateway("gateway-shared", configPath, shared);
  const viaEmbedded = requestFor(embedded.url, MASTER_KEY);
  const viaShared = requestFor(sharedGateway.url, MASTER_KEY);
  const virtualKey = await createLimitedKey(sharedGateway.url, MASTER_KEY);
  const viaVirtualKey = requestFor(sharedGateway.url, virtualKey);
  await checkAnswers("gateway (embedded)", viaEmbedded);
  await checkAnswers("gateway (Postgres + Redis)", viaShared);
  await checkAnswers("gateway (virtual key)", viaVirtualKey);

  // The bare proxy is measured before and after the gateways and averaged: on a shared machine
  // the load drifts over a run, and the ratios should not depend on when the floor was taken.
  console.log(`\nthroughput (${connections} connections, ${duration}s each):`);
  const proxyBefore = await measure("bare proxy", proxy, connections, duration, bareProxy);
  const loaded = {
    direct: await measure("direct upstream", direct, connections, duration, upstream),
    embedded: await measure(
      "gateway, embedded, master key",
      viaEmbedded,
      connections,
      duration,
      embedded.child,
    ),
    shared: await measure(
      "gateway, Postgres + Redis, master key",
      viaShared,
      connections,
      duration,
      sharedGateway.child,
    ),
    virtualKey: await measure(
      "gateway, Postgres + Redis, virtual key (rpm, tpm, parallel, budget)",
      viaVirtualKey,
      connections,
      duration,
      sharedGateway.child,
    ),
    proxyAfter: await measure("bare proxy (again)", proxy, connections, duration, bareProxy),
  };
  const proxyRps = (proxyBefore.rps + loaded.proxyAfter.rps) / 2;
  const proxyP99 = (proxyBefore.fineLatencyMs.p99 + loaded.proxyAfter.fineLatencyMs.p99) / 2;

  console.log(`\nlatency (1 connection, ${latencyDuration}s each):`);
  const single = {
    direct: await measure("direct upstream", direct, 1, latencyDuration, upstream),
    proxy: await measure("bare proxy", proxy, 1, latencyDuration, bareProxy),
    embedded: await measure("gateway, embedded, master key", viaEmbedded, 1, latencyDuration, embedded.child),
    shared: await measure(
      "gateway, Postgres + Redis, master key",
      viaShared,
      1,
      latencyDuration,
      sharedGateway.child,
    ),
    virtualKey: await measure(
      "gateway, Postgres + Redis, virtual key",
      viaVirtualKey,
      1,
      latencyDuration,
      sharedGateway.child,
    ),
  };
  // Tracing on (every request sampled, exported over OTLP/HTTP to a sink) against the same stores,
  // beside the untraced figures above; the untraced gateway is the default, so "off" is those.
  const sinkPort = await freePort();
  const sinkUrl = `http://127.0.0.1:${sinkPort}`;
  const sink = startChild("otlp-sink", ["--import", "tsx", "bench/otlp-sink.ts"], { PORT: String(sinkPort) });
  await waitFor("OTLP sink", async () => (await fetch(sinkUrl)).ok);
  const traced = await startGateway(
    "gateway-traced",
    configPath,
    { ...shared, redisPrefix: `${shared.redisPrefix}otel` },
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_SERVICE_NAME: "routeiq-bench",
      OTEL_TRACES_SAMPLER: "always_on",
    },
  );
  const viaTraced = requestFor(traced.url, MASTER_KEY);
  await checkAnswers("gateway (traced)", viaTraced);
  console.log(`
tracing on (OTLP/HTTP to a loopback sink, every request sampled):`);
  const tracing = {
    loaded: await measure(
      "gateway, PG + Redis, master key, traced",
      viaTraced,
      connections,
      duration,
      traced.child,
    ),
    single: await measure(
      "gateway, PG + Redis, master key, traced",
      viaTraced,
      1,
      latencyDuration,
      traced.child,
    ),
  };
  await stopGateway(traced);
  const exported = (await (await fetch(sinkUrl)).json()) as { exports: number; bytes: number };
  await retire(sink);

  // The spend log is written off the request path; give it a moment, then count what arrived.
  await new Promise((r) => setTimeout(r, 3_000));
  const spendRows = await schema.countSpendRows();

  const embeddedPeakRssMb = peakRssMb(embedded.child.proc.pid);
  const sharedPeakRssMb = peakRssMb(sharedGateway.child.proc.pid);
  await stopGateway(embedded);

  let workers: { one: Measured; two: Measured } | undefined;
  if (settings.workers) {
    // One worker against two, back to back on the same stores: how much a second core buys here.
    console.log(`\nworkers (Postgres + Redis, master key, ${connections} connections, ${duration}s each):`);
    const one = await measure("NUM_WORKERS=1", viaShared, connections, duration, sharedGateway.child);
    await stopGateway(sharedGateway);
    const pair = await startGateway(
      "gateway-2-workers",
      configPath,
      { ...shared, redisPrefix: `${shared.redisPrefix}w2` },
      { NUM_WORKERS: "2" },
    );
    const two = await measure(
      "NUM_WORKERS=2",
      requestFor(pair.url, MASTER_KEY),
      connections,
      duration,
      pair.child,
    );
    await stopGateway(pair);
    workers = { one, two };
  } else {
    await stopGateway(sharedGateway);
  }

  const soaks: Record<string, SoakResult> = {};
  if (settings.soakSeconds > 0) {
    const cacheConfig = gatewayConfig(upstreamUrl, true);
    const soakTargets = [
      ["Postgres + Redis", shared] as const,
      ["embedded", { embedded: true } as const] as const,
    ];
    for (const [label, stores] of soakTargets) {
      const name = `soak-${"embedded" in stores ? "embedded" : "shared"}`;
      const gateway = await startGateway(name, cacheConfig, stores);
      const key = await createLimitedKey(gateway.url, MASTER_KEY);
      const request = { ...requestFor(gateway.url, key), nextBody: mixedBodies(settings.soakDistinct) };
      console.log(
        `\nmemory soak, ${label} (virtual key, cache on, half streamed, ${settings.soakConnections} connections, ${settings.soakSeconds}s):`,
      );
      const result = await soak({
        request,
        pid: gateway.child.proc.pid as number,
        connections: settings.soakConnections,
        seconds: settings.soakSeconds,
        sampleSeconds: settings.soakSampleSeconds,
        onSample: (s) => process.stdout.write(`  ${fmt(s.atSeconds, 0)}s ${fmt(s.rssMb, 0)} MB\n`),
      });
      if (result.load.errors + result.load.non2xx > result.load.requests / 100)
        throw new Error(`soak ${label}: ${result.load.errors} errors and ${result.load.non2xx} non-2xx`);
      console.log(
        `  ${fmt(result.load.rps, 0)} req/s; RSS peak ${fmt(result.peakMb, 0)} MB, last ${fmt(result.lastMb, 0)} MB, trend ${fmt(result.trendMbPerMin, 1)} MB/min`,
      );
      soaks[label] = result;
      await stopGateway(gateway);
    }
  }

  const ratio = (r: LoadResult) => r.rps / proxyRps;
  // The same ratio from CPU per request: what each would serve with a core to itself, which the
  // machine's other work moves far less than it moves throughput.
  const proxyCpu = (proxyBefore.cpuUsPerRequest + loaded.proxyAfter.cpuUsPerRequest) / 2;
  const cpuRatio = (r: Measured) => proxyCpu / r.cpuUsPerRequest;
  const addedMs = (r: LoadResult) => r.fineLatencyMs.p50 - single.proxy.fineLatencyMs.p50;
  const p99Ratio = (r: LoadResult) => r.fineLatencyMs.p99 / proxyP99;
  const figures = {
    proxyRps,
    proxyP99Ms: proxyP99,
    bareProxyVsDirectThroughput: proxyRps / loaded.direct.rps,
    embeddedVsBareProxyThroughput: ratio(loaded.embedded),
    sharedVsBareProxyThroughput: ratio(loaded.shared),
    virtualKeyVsBareProxyThroughput: ratio(loaded.virtualKey),
    embeddedAddedP50Ms: addedMs(single.embedded),
    sharedAddedP50Ms: addedMs(single.shared),
    virtualKeyAddedP50Ms: addedMs(single.virtualKey),
    bareProxyAddedP50Ms: single.proxy.fineLatencyMs.p50 - single.direct.fineLatencyMs.p50,
    embeddedP99VsBare: p99Ratio(loaded.embedded),
    sharedP99VsBare: p99Ratio(loaded.shared),
    virtualKeyP99VsBare: p99Ratio(loaded.virtualKey),
    embeddedVsBareProxyCpu: cpuRatio(loaded.embedded),
    sharedVsBareProxyCpu: cpuRatio(loaded.shared),
    virtualKeyVsBareProxyCpu: cpuRatio(loaded.virtualKey),
    workerScaling: workers === undefined ? Number.NaN : workers.two.rps / workers.one.rps,
    tracedVsUntracedThroughput: tracing.loaded.rps / loaded.shared.rps,
    tracedVsUntracedCpu: loaded.shared.cpuUsPerRequest / tracing.loaded.cpuUsPerRequest,
    tracingAddedP50Ms: tracing.single.fineLatencyMs.p50 - single.shared.fineLatencyMs.p50,
  };

  console.log(
    `\n${table([
      ["bare proxy", proxyBefore],
      ["direct upstream", loaded.direct],
      ["gateway, embedded", loaded.embedded],
      ["gateway, PG + Redis", loaded.shared],
      ["gateway, virtual key", loaded.virtualKey],
      ["bare proxy (again)", loaded.proxyAfter],
      ...(workers === undefined
        ? []
        : ([
            ["PG + Redis, 1 worker", workers.one],
            ["PG + Redis, 2 workers", workers.two],
          ] as Array<[string, LoadResult]>)),
      ["direct upstream", single.direct],
      ["bare proxy", single.proxy],
      ["gateway, embedded", single.embedded],
      ["gateway, PG + Redis", single.shared],
      ["gateway, virtual key", single.virtualKey],
    ])}`,
  );
  console.log("\n(p50/p99 ms: autocannon's 1 ms histogram; (fine): exact per-response hrtime durations)");
  console.log(`bare proxy / direct throughput  ${fmt(figures.bareProxyVsDirectThroughput)}x`);
  console.log(`bare proxy added p50            ${fmt(figures.bareProxyAddedP50Ms, 3)} ms over direct`);
  console.log(`spend-log rows in Postgres      ${spendRows} (warm-ups and checks included)`);
  console.log(
    `tracing on / off (PG + Redis)    throughput ${fmt(figures.tracedVsUntracedThroughput)}x, by CPU per request ${fmt(figures.tracedVsUntracedCpu)}x, added p50 at 1 conn ${fmt(figures.tracingAddedP50Ms, 3)} ms; ${exported.exports} OTLP exports, ${fmt(exported.bytes / 1024 / 1024, 1)} MiB`,
  );
  console.log(
    `peak RSS after the runs above   embedded ${fmt(embeddedPeakRssMb, 0)} MB, Postgres + Redis ${fmt(sharedPeakRssMb, 0)} MB`,
  );

  const x = (n: number) => `${fmt(n)}x`;
  const ms = (n: number) => `${fmt(n, 3)} ms`;
  const goals: Goal[] = [
    goal(
      "throughput / bare proxy, master key, embedded",
      `${x(figures.embeddedVsBareProxyThroughput)} (by CPU per request: ${x(figures.embeddedVsBareProxyCpu)})`,
      ">= 0.5x (aim 0.7)",
      figures.embeddedVsBareProxyThroughput >= 0.5,
    ),
    goal(
      "throughput / bare proxy, master key, PG + Redis",
      `${x(figures.sharedVsBareProxyThroughput)} (by CPU per request: ${x(figures.sharedVsBareProxyCpu)})`,
      ">= 0.5x (aim 0.7)",
      figures.sharedVsBareProxyThroughput >= 0.5,
    ),
    goal(
      "throughput / bare proxy, virtual key, PG + Redis",
      `${x(figures.virtualKeyVsBareProxyThroughput)} (by CPU per request: ${x(figures.virtualKeyVsBareProxyCpu)})`,
      ">= 0.4x (aim 0.7)",
      figures.virtualKeyVsBareProxyThroughput >= 0.4,
    ),
    goal(
      "added p50 at 1 conn, master key, embedded",
      ms(figures.embeddedAddedP50Ms),
      "< 0.15 ms",
      figures.embeddedAddedP50Ms < 0.15,
    ),
    goal(
      "added p50 at 1 conn, master key, PG + Redis",
      ms(figures.sharedAddedP50Ms),
      "< 0.15 ms",
      figures.sharedAddedP50Ms < 0.15,
    ),
    goal(
      "added p50 at 1 conn, virtual key, PG + Redis",
      ms(figures.virtualKeyAddedP50Ms),
      "< 0.3 ms",
      figures.virtualKeyAddedP50Ms < 0.3,
    ),
    goal(
      `p99 at ${connections} conns / bare, master key, embedded`,
      x(figures.embeddedP99VsBare),
      "<= 2x",
      figures.embeddedP99VsBare <= 2,
    ),
    goal(
      `p99 at ${connections} conns / bare, master key, PG + Redis`,
      x(figures.sharedP99VsBare),
      "<= 2x",
      figures.sharedP99VsBare <= 2,
    ),
    goal(
      `p99 at ${connections} conns / bare, virtual key`,
      x(figures.virtualKeyP99VsBare),
      "<= 2x",
      figures.virtualKeyP99VsBare <= 2,
    ),
    goal(
      "embedded not slower than PG + Redis (master key)",
      x(loaded.embedded.rps / loaded.shared.rps),
      ">= 1x (within noise)",
      loaded.embedded.rps >= loaded.shared.rps * 0.95,
    ),
  ];
  if (workers !== undefined)
    goals.push(
      goal(
        "throughput, 2 workers / 1 worker",
        x(figures.workerScaling),
        "> 1x (2 cores shared with the load)",
        figures.workerScaling > 1,
      ),
    );
  for (const [label, result] of Object.entries(soaks)) {
    const limit = label === "embedded" ? 250 : 200;
    goals.push(
      goal(`soak RSS peak, ${label}`, `${fmt(result.peakMb, 0)} MB`, `< ${limit} MB`, result.peakMb < limit),
    );
    // Flat: what the trend would add over the soak's length stays under 5% of the peak.
    const drift = (result.trendMbPerMin * settings.soakSeconds) / 60;
    goals.push(
      goal(
        `soak RSS trend, ${label}`,
        `${fmt(result.trendMbPerMin, 1)} MB/min`,
        "flat (drift < 5% of peak)",
        drift < result.peakMb * 0.05,
      ),
    );
  }
  console.log(
    `\ngoals (one run; the machine's load moves every figure, ratios less, CPU per request least):\n${goalTable(goals)}`,
  );

  const extras: Record<string, unknown> = {};
  if (settings.extras) {
    // The edge on the same schema and Redis, serving the config as the sync worker would publish it.
    await publishConfig(schema.url, readFileSync(configPath, "utf8"));
    const edgePort = await freePort();
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const edgeKeyGateway = await startGateway("gateway-edge-keys", configPath, shared);
    const edgeKey = await createLimitedKey(edgeKeyGateway.url, MASTER_KEY);
    await stopGateway(edgeKeyGateway);
    const edgeChild = startChild("edge", ["--import", "tsx", "infra/local/edge-local.ts"], {
      DATABASE_URL: schema.url,
      REDIS_URL: BENCH_REDIS_URL,
      EDGE_PORT: String(edgePort),
      LITELLM_MASTER_KEY: MASTER_KEY,
    });
    await waitFor("edge", async () => (await fetch(`${edgeUrl}/_health/ready`)).ok, 60_000);
    const viaEdge = requestFor(edgeUrl, MASTER_KEY);
    const viaEdgeVirtualKey = requestFor(edgeUrl, edgeKey);
    await checkAnswers("edge", viaEdge);
    await checkAnswers("edge (virtual key)", viaEdgeVirtualKey);
    console.log(`\nedge (1 connection, ${latencyDuration}s each):`);
    const edge = await measure("edge (workerd), master key", viaEdge, 1, latencyDuration, edgeChild);
    const edgeVirtualKey = await measure(
      "edge, virtual key (limits via Upstash REST, spend via Neon WS)",
      viaEdgeVirtualKey,
      1,
      latencyDuration,
      edgeChild,
    );
    console.log(
      `edge added p50 at 1 connection  ${ms(edge.fineLatencyMs.p50 - single.direct.fineLatencyMs.p50)} (master key), ${ms(edgeVirtualKey.fineLatencyMs.p50 - single.direct.fineLatencyMs.p50)} (virtual key; loopback bridges, over the internet add Upstash's round trips)`,
    );
    extras.edge = edge;
    extras.edgeVirtualKey = edgeVirtualKey;

    const coldStartRuns = Math.round(envNumber("BENCH_COLD_STARTS", 5));
    extras.lambdaColdStarts = await measureLambdaColdStarts(join(root, "dist"), coldStartRuns);
    console.log(`\n${formatColdStarts(extras.lambdaColdStarts as ColdStarts, coldStartRuns)}`);

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
    Object.assign(extras, { edgeBundle, edgeStartup });

    const learnedDecisions = await measureDecisions(root, Math.round(envNumber("BENCH_DECISIONS", 2_000)));
    console.log(`\n${formatDecisions(learnedDecisions)}`);
    extras.learnedDecisions = learnedDecisions;
  }

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
        loaded: { bareProxy: proxyBefore, ...loaded },
        singleConnection: single,
        workers,
        tracing: { ...tracing, exported },
        soaks,
        figures,
        goals,
        spendRows,
        peakRssMb: { embedded: embeddedPeakRssMb, shared: sharedPeakRssMb },
        ...extras,
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
