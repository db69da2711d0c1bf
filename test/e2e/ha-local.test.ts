import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import OpenAI from "openai";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { freePort } from "../../infra/local/ports";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";

/**
 * `npm run ha:local` end to end: the runner's nginx, two gateways, sync loop and s3rver on
 * loopback, under steady load. A gateway killed with -9 costs no request (nginx resends in-flight
 * inference to the other replica) and is restarted and back in rotation; the killed sync leader is
 * replaced within its lease; a config uploaded afterwards reaches both gateways; SIGTERM stops all.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MASTER_KEY = "sk-ha-local-test";
const LEASE_SECONDS = 2;
const RENEW_SECONDS = 0.5;
const SYNC_INTERVAL_SECONDS = 1;
const POLL_SECONDS = 1;
const CONCURRENCY = 12;
const REPLY = "hello through nginx";

interface RunnerLine {
  readonly event?: string;
  readonly child?: string;
  readonly name?: string;
  readonly pid?: number;
  readonly port?: number;
  readonly time?: string;
  readonly line?: string;
  readonly [field: string]: unknown;
}
interface Ready {
  readonly url: string;
  readonly gateways: readonly { name: string; url: string }[];
  readonly s3: {
    endpoint: string;
    bucket: string;
    key: string;
    accessKeyId: string;
    secretAccessKey: string;
  };
}

let upstream: OpenAIUpstream;
let schema: TestSchema;
let db: pg.Client;
let dir: string;
let runner: ChildProcess | undefined;
let runnerExit: Promise<number | null>;
const lines: RunnerLine[] = [];
let ready: Ready;
/** Measured numbers, printed at the end for the README. */
const measured: Record<string, number | string> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const events = (event: string, name?: string) =>
  lines.filter((l) => l.event === event && (name === undefined || l.name === name));
/** The pid of `name`'s latest start. */
const pidOf = (name: string) => events("started", name).at(-1)?.pid as number;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const tail = () =>
  lines
    .slice(-40)
    .map((l) => JSON.stringify(l))
    .join("\n");

/** Polls `check`; resolves to the ms it took, or throws with the runner's last output. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>, intervalMs = 50) {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms\n${tail()}`);
    await sleep(intervalMs);
  }
}

async function get<T>(base: string, path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    signal: AbortSignal.timeout(2_000),
  });
  if (response.status !== 200) throw new Error(`${base}${path}: ${response.status}`);
  return (await response.json()) as T;
}
const modelsAt = async (base: string) =>
  (await get<{ data: { id: string }[] }>(base, "/v1/models")).data.map((m) => m.id).sort();
const gatewayUrl = (name: string) => ready.gateways.find((g) => g.name === name)?.url as string;

/** The sum of a counter's samples on one gateway: its requests since it (re)started. */
async function requestsServed(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("litellm_proxy_total_requests_metric_total{") && l.includes("chat"))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

interface Lease {
  readonly holder: string;
  readonly token: number;
  readonly live: boolean;
}
async function lease(): Promise<Lease | undefined> {
  const { rows } = await db.query<{ holder_id: string; fencing_token: string; live: boolean }>(
    "SELECT holder_id, fencing_token, expires_at > now() AS live FROM routeiq_leases WHERE lock_name = 'config_sync'",
  );
  const row = rows[0];
  return row && { holder: row.holder_id, token: Number(row.fencing_token), live: row.live };
}

/**
 * Which child holds `holder`: a gateway names its holder id in its sync status; the sync worker,
 * which serves no HTTP, logs it when it starts.
 */
async function childHolding(holder: string): Promise<string> {
  for (const { name, url } of ready.gateways) {
    const status = await get<{ leader_election: { holder_id: string } }>(
      url,
      "/llmrouter/config/sync/status",
    );
    if (status.leader_election.holder_id === holder) return name;
  }
  const worker = lines.find((l) => l.message === "sync worker started" && l.holder_id === holder);
  if (worker?.child === undefined) throw new Error(`no child holds the lease as ${holder}\n${tail()}`);
  return worker.child;
}

/** Non-streaming chat completions through nginx from `CONCURRENCY` workers until stopped. */
function startLoad(url: string) {
  const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0, timeout: 15_000 });
  const failures: string[] = [];
  let ok = 0;
  let running = true;
  const worker = async () => {
    while (running) {
      try {
        const completion = await client.chat.completions.create({
          model: "ha-model",
          messages: [{ role: "user", content: "are you there?" }],
        });
        if (completion.choices[0]?.message.content === REPLY) ok += 1;
        else failures.push(`unexpected completion ${JSON.stringify(completion)}`);
      } catch (error) {
        failures.push(error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error));
      }
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);
  return {
    get ok() {
      return ok;
    },
    failures,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

const configWith = (...models: string[]) =>
  stringify({
    model_list: models.map((model_name) => ({
      model_name,
      litellm_params: { model: "openai/gpt-ha", api_base: `${upstream.url}/v1`, api_key: "sk-upstream" },
    })),
  });

beforeAll(async () => {
  await requireRedis();
  dir = mkdtempSync(join(tmpdir(), "routeiq-ha-test-"));
  // What `npm run ha:local` builds first, in a directory of this test's own so that another test
  // rebuilding dist/ cannot swap a bundle under a starting process.
  const distDir = join(dir, "dist");
  await promisify(execFile)(process.execPath, ["infra/bundle.mjs", "--outdir", distDir], { cwd: ROOT });
  upstream = await startOpenAIUpstream({ apiKey: "sk-upstream" });
  // Latency keeps requests in flight on the replica when it is killed.
  upstream.setBehaviour({ reply: REPLY, delayMs: 40 });
  schema = await createTestSchema("ha_local");
  db = new pg.Client({ connectionString: schema.url });
  await db.connect();
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, configWith("ha-model"));

  const env: Record<string, string | undefined> = {
    ...process.env,
    HA_PORT: String(await freePort()),
    HA_RESTART_BACKOFF_MS: "200",
    HA_DIST_DIR: distDir,
    DATABASE_URL: schema.url,
    REDIS_URL,
    LITELLM_CONFIG_PATH: configPath,
    LITELLM_MASTER_KEY: MASTER_KEY,
    CONFIG_SYNC_INTERVAL: String(SYNC_INTERVAL_SECONDS),
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: String(POLL_SECONDS),
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: String(RENEW_SECONDS),
    ROUTEIQ_DRAIN_TIMEOUT_SECONDS: "5",
  };
  // The runner's own s3rver, whatever the machine's environment says.
  for (const name of ["CONFIG_S3_BUCKET", "CONFIG_S3_KEY", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
    delete env[name];
  // The runner decides about the AWS SDK's Node version warning, as it does for a user.
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const child = spawn(process.execPath, ["--import", "tsx", "infra/local/ha-local.ts"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  runner = child;
  runnerExit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      lines.push(JSON.parse(line) as RunnerLine);
    } catch {
      lines.push({ line });
    }
  });
  createInterface({ input: child.stderr }).on("line", (line) => lines.push({ child: "runner", line }));
  const started = Date.now();
  while (events("ready").length === 0) {
    // Missing nginx, PostgreSQL or Redis fails here with the runner's own explanation.
    if (events("failed").length > 0 || child.exitCode !== null || Date.now() - started > 45_000)
      throw new Error(`the runner did not get ready:\n${tail()}`);
    await sleep(50);
  }
  measured.startup_ms = Date.now() - started;
  ready = events("ready")[0] as unknown as Ready;
}, 75_000);

afterAll(async () => {
  // A failed test must not leave the runner or any of its children behind.
  if (runner !== undefined && runner.exitCode === null && runner.signalCode === null) runner.kill("SIGKILL");
  for (const pid of events("started").map((e) => e.pid as number))
    if (alive(pid)) process.kill(pid, "SIGKILL");
  await db?.end();
  await schema?.drop();
  await upstream?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  console.info("ha:local measured:", measured);
});

describe("npm run ha:local", () => {
  it("kill -9 of a gateway under load: no request fails, and it is restarted and back in rotation", async () => {
    expect(ready.gateways.map((g) => g.name)).toEqual(["gateway-1", "gateway-2"]);
    const load = startLoad(ready.url);
    try {
      await within("both gateways serve traffic through nginx", 10_000, async () => {
        const counts = await Promise.all(ready.gateways.map((g) => requestsServed(g.url)));
        return counts.every((count) => count > 0);
      });
      const victim = "gateway-1";
      const oldPid = pidOf(victim);
      const before = load.ok;
      const killedAt = Date.now();
      process.kill(oldPid, "SIGKILL");
      await sleep(3_000);
      measured.requests_in_3s_after_kill = load.ok - before;
      expect(load.ok - before).toBeGreaterThan(20);

      await within("the supervisor restarts the killed gateway", 5_000, async () => pidOf(victim) !== oldPid);
      const exited = events("exited", victim).find((e) => e.pid === oldPid);
      expect(exited).toMatchObject({ signal: "SIGKILL", expected: false });
      measured.restart_started_ms = Date.parse(events("started", victim).at(-1)?.time ?? "") - killedAt;
      await within("the restarted gateway is ready", 10_000, async () => {
        const response = await fetch(`${gatewayUrl(victim)}/_health/ready`);
        return response.status === 200;
      });
      measured.restart_ready_ms = Date.now() - killedAt;
      // Its counters started at zero with the new process: anything counted came through nginx.
      await within(
        "nginx sends traffic to the restarted gateway again",
        15_000,
        async () => (await requestsServed(gatewayUrl(victim))) > 0,
        200,
      );
      measured.back_in_rotation_ms = Date.now() - killedAt;
    } finally {
      await load.stop();
    }
    measured.requests_total = load.ok + load.failures.length;
    measured.requests_failed = load.failures.length;
    // nginx's access log (relayed by the runner) lists both replicas for a request it resent.
    measured.requests_resent_by_nginx = lines.filter(
      (l) => l.child === "nginx" && /upstream_status=\d+, \d+/.test(l.line ?? ""),
    ).length;
    expect(load.failures.slice(0, 5)).toEqual([]);
    expect(load.ok).toBeGreaterThan(100);
  }, 40_000);

  it("kill -9 of the sync leader: another candidate takes the lease, and a new config reaches both gateways", async () => {
    await within("a live lease", 5_000, async () => (await lease())?.live === true);
    const before = (await lease()) as Lease;
    const leader = await childHolding(before.holder);
    measured.killed_leader = leader;
    const oldPid = pidOf(leader);
    process.kill(oldPid, "SIGKILL");
    const limitMs = (LEASE_SECONDS + RENEW_SECONDS + 1) * 1000;
    let after: Lease | undefined;
    measured.leader_takeover_ms = await within("a new lease holder", limitMs, async () => {
      after = await lease();
      return after?.live === true && after.holder !== before.holder;
    });
    expect(after?.token).toBeGreaterThan(before.token);
    measured.new_leader = await childHolding(after?.holder ?? "");
    await within("the killed leader is restarted", 5_000, async () => pidOf(leader) !== oldPid);

    const s3 = new S3Client({
      endpoint: ready.s3.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: ready.s3.accessKeyId, secretAccessKey: ready.s3.secretAccessKey },
    });
    const uploadedAt = Date.now();
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: ready.s3.bucket,
          Key: ready.s3.key,
          Body: configWith("ha-model", "ha-model-v2"),
        }),
      );
    } finally {
      s3.destroy();
    }
    const expected = "ha-model,ha-model-v2";
    const limitPropagationMs = (SYNC_INTERVAL_SECONDS + POLL_SECONDS) * 1000 + 3_000;
    measured.config_propagation_ms = await within(
      "the uploaded config is served by both gateways and through nginx",
      limitPropagationMs,
      async () => {
        const seen = await Promise.all([...ready.gateways.map((g) => g.url), ready.url].map(modelsAt));
        return seen.every((models) => models.join() === expected);
      },
    );
    measured.config_propagation_from_upload_ms = Date.now() - uploadedAt;
  }, 30_000);

  it("says once which Node the AWS SDK needs, instead of the SDK's warning from each process with an S3 client", () => {
    expect(lines.filter((l) => JSON.stringify(l).includes("NodeVersionSupportWarning"))).toEqual([]);
    const notices = events("warning").filter((e) => String(e.message).includes("AWS SDK"));
    expect(notices).toHaveLength(Number(process.versions.node.split(".")[0]) < 22 ? 1 : 0);
  });

  it("SIGTERM stops everything: the runner exits 0 and no child is left", async () => {
    const pids = events("started").map((e) => e.pid as number);
    const stoppedAt = Date.now();
    runner?.kill("SIGTERM");
    const code = await Promise.race([runnerExit, sleep(20_000).then(() => "timeout")]);
    measured.shutdown_ms = Date.now() - stoppedAt;
    expect(code, tail()).toBe(0);
    expect(events("stopped")).toHaveLength(1);
    expect(pids.filter(alive)).toEqual([]);
    // The gateways drained rather than died: each logged its clean stop.
    for (const name of ["gateway-1", "gateway-2"])
      expect(lines.some((l) => l.child === name && l.message === "stopped")).toBe(true);
    await expect(fetch(`${ready.url}/_health/live`)).rejects.toThrow();
  }, 25_000);
});
