import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabaseIfMissing } from "./database";
import { type HaEnv, LOCAL_DATABASE_URL, parseHaEnv, REPO_ROOT } from "./env";
import { emit } from "./events";
import { nginxArgs, renderLoopbackConf } from "./nginx-conf";
import { nodeVersionNotice } from "./node-version";
import { freePort } from "./ports";
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from "./s3-server";
import { runOnce, Supervisor } from "./supervisor";
import { startSyslogRelay } from "./syslog-relay";
import { waitForOk } from "./wait-ready";

/**
 * `npm run ha:local`: the HA deployment on loopback without Docker. An S3 server, the migration
 * once, two gateways and the sync loop on the shared PostgreSQL and Redis, and nginx in front with
 * the shipped infra/nginx.conf. Children that die are restarted; SIGINT/SIGTERM stops everything
 * in order (gateways drain first) and exits 0.
 */

const GATEWAYS = ["gateway-1", "gateway-2"] as const;
const LOCAL_BUCKET = "routeiq-local";

let env: HaEnv;
try {
  env = parseHaEnv(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}

// Before any S3 client exists, in this process or a child.
const notice = nodeVersionNotice(process.version, process.env);
if (notice !== undefined) {
  emit({ event: "warning", message: notice.message });
  Object.assign(process.env, notice.env);
}

const dist = (file: string) => join(env.HA_DIST_DIR, file);
const supervisor = new Supervisor(env.HA_RESTART_BACKOFF_MS);
const dir = await mkdtemp(join(tmpdir(), "routeiq-ha-"));
let s3: LocalS3 | undefined;
let syslog: Awaited<ReturnType<typeof startSyslogRelay>> | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  stopping = true;
  emit({ event: "stopping" });
  supervisor.close();
  // Gateways drain in-flight requests and release the lease; nginx keeps routing to whichever is
  // still up until they are all gone.
  await supervisor.stop(
    [...GATEWAYS, "sync-loop"],
    "SIGTERM",
    (env.ROUTEIQ_DRAIN_TIMEOUT_SECONDS + 10) * 1000,
  );
  await supervisor.stop(["nginx"], "SIGQUIT", 5_000);
  await syslog?.close();
  await s3?.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
  emit({ event: "stopped", code });
  process.exit(code);
}

// npm and tsx pass a terminal's Ctrl-C on to this process as well, so one Ctrl-C can arrive twice:
// every signal after the first is ignored, and the drain timeout bounds the shutdown instead.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (!stopping) void shutdown(0);
  });
}

/** Distinct free ports: nginx needs each gateway's port before any gateway starts. */
async function gatewayPorts(): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < GATEWAYS.length) {
    const port = await freePort();
    if (port !== env.HA_PORT) ports.add(port);
  }
  return [...ports];
}

/** Renders the loopback nginx.conf and has nginx check it, so a bad conf fails before anything starts. */
async function prepareNginx(ports: readonly number[]): Promise<string[]> {
  const shipped = await readFile(join(REPO_ROOT, "infra", "nginx.conf"), "utf8");
  const confPath = join(dir, "nginx.conf");
  syslog = await startSyslogRelay("nginx");
  const conf = renderLoopbackConf(shipped, {
    gatewayPorts: ports,
    listenPort: env.HA_PORT,
    syslogPort: syslog.port,
    dir,
  });
  await writeFile(confPath, conf);
  const args = nginxArgs(confPath, dir);
  const check = spawnSync(env.NGINX_BIN, ["-t", ...args], { encoding: "utf8" });
  if (check.error !== undefined)
    throw new Error(
      `nginx not runnable as "${env.NGINX_BIN}" (install nginx or set NGINX_BIN): ${check.error.message}`,
    );
  if (check.status !== 0) throw new Error(`nginx refused ${confPath}:\n${check.stderr}`);
  return args;
}

async function start(): Promise<void> {
  for (const file of ["gateway-node.mjs", "migrate-node.mjs", "sync-loop.mjs"]) {
    if (!existsSync(dist(file))) throw new Error(`${dist(file)} is missing: run \`npm run build\` first`);
  }
  // nginx workers run as nobody when the runner is root; they must reach their temp dirs in here.
  await chmod(dir, 0o755);
  const ports = await gatewayPorts();
  const nginx = await prepareNginx(ports);

  if (env.DATABASE_URL === undefined) await createDatabaseIfMissing(LOCAL_DATABASE_URL, "DATABASE_URL");
  const bucket = env.CONFIG_S3_BUCKET ?? LOCAL_BUCKET;
  let s3Env: Record<string, string> = {};
  if (env.CONFIG_S3_BUCKET === undefined) {
    s3 = await startLocalS3(bucket);
    await s3.put(env.CONFIG_S3_KEY, await readFile(env.LITELLM_CONFIG_PATH, "utf8"));
    s3Env = { ...s3.clientEnv, AWS_REGION: process.env.AWS_REGION ?? "us-east-1" };
  }
  const shared = {
    ...process.env,
    DATABASE_URL: env.DATABASE_URL ?? LOCAL_DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    LITELLM_MASTER_KEY: env.LITELLM_MASTER_KEY,
    LITELLM_CONFIG_PATH: env.LITELLM_CONFIG_PATH,
    CONFIG_S3_BUCKET: bucket,
    CONFIG_S3_KEY: env.CONFIG_S3_KEY,
    CONFIG_SYNC_INTERVAL: String(env.CONFIG_SYNC_INTERVAL),
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: String(env.ROUTEIQ_CONFIG_REVISION_POLL_SECONDS),
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: String(env.LLMROUTER_CONFIG_SYNC_LEASE_SECONDS),
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: String(env.LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS),
    ROUTEIQ_DRAIN_TIMEOUT_SECONDS: String(env.ROUTEIQ_DRAIN_TIMEOUT_SECONDS),
    ...s3Env,
  };
  const node = (file: string) => ({ command: process.execPath, args: ["--enable-source-maps", dist(file)] });

  const migrated = await runOnce({ name: "migrate", ...node("migrate-node.mjs"), env: shared });
  if (migrated !== 0) throw new Error(`migration exited with ${migrated}: is PostgreSQL up at DATABASE_URL?`);

  const gateways = GATEWAYS.map((name, i) => ({ name, port: ports[i] as number }));
  for (const { name, port } of gateways) {
    supervisor.start({
      name,
      port,
      ...node("gateway-node.mjs"),
      // The migration already ran; replicas must not each run it at start.
      env: { ...shared, PORT: String(port), HOST: "127.0.0.1", LITELLM_RUN_DB_MIGRATIONS: "false" },
    });
  }
  supervisor.start({ name: "sync-loop", ...node("sync-loop.mjs"), env: shared });
  const timeoutMs = env.HA_READY_TIMEOUT_SECONDS * 1000;
  await Promise.all(
    gateways.map(({ name, port }) => waitForOk(name, `http://127.0.0.1:${port}/_health/ready`, timeoutMs)),
  );
  supervisor.start({
    name: "nginx",
    port: env.HA_PORT,
    command: env.NGINX_BIN,
    args: nginx,
    env: process.env,
  });
  const url = `http://127.0.0.1:${env.HA_PORT}`;
  await waitForOk("nginx", `${url}/_health/ready`, timeoutMs);
  emit({
    event: "ready",
    url,
    gateways: gateways.map(({ name, port }) => ({ name, url: `http://127.0.0.1:${port}` })),
    pids: supervisor.pids(),
    s3: {
      endpoint: s3?.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? null,
      bucket,
      key: env.CONFIG_S3_KEY,
      // s3rver's fixed credentials, so a script can upload a new config; never a real account's.
      ...(s3 === undefined ? {} : S3RVER_CREDENTIALS),
    },
  });
}

try {
  await start();
} catch (error) {
  if (!stopping) {
    emit({ event: "failed", error: error instanceof Error ? error.message : String(error) });
    await shutdown(1);
  }
}
