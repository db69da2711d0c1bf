import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { type LocalS3, startLocalS3 } from "../../infra/local/s3-server";
import { MASTER_KEY } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";
import { type SpawnedGateway, spawnGateway } from "../support/spawn-gateway";

/**
 * Config sync leader election across real gateway processes (the `npm start` entry): three
 * replicas on one PostgreSQL schema and one Redis, syncing from an S3 stand-in. A crashed leader
 * (SIGKILL) is replaced once its lease runs out; a leader shut down cleanly (SIGTERM) releases the
 * lease, so the handover takes about one renew interval.
 */

const BUCKET = "routeiq-failover";
const KEY = "configs/config.yaml";
const LEASE_SECONDS = 2;
const RENEW_SECONDS = 0.5;

let s3: LocalS3 | undefined;
let schema: TestSchema | undefined;
/** Every process started, in start order; the tests never remove one from here. */
const gateways: SpawnedGateway[] = [];
/** Measured takeover times, printed at the end. */
const measured: Record<string, number> = {};

interface SyncStatus {
  readonly revision: number;
  readonly leader_election: {
    readonly enabled: boolean;
    readonly is_leader: boolean;
    readonly holder_id: string;
    readonly fencing_token: number | null;
  };
}

const configWith = (...models: string[]) => ({
  general_settings: { master_key: MASTER_KEY },
  model_list: models.map((m) => ({ model_name: m, litellm_params: { model: `mock/${m}` } })),
});
const upload = (config: Record<string, unknown>) => s3?.put(KEY, stringify(config));

const alive = (g: SpawnedGateway) => g.child.exitCode === null && g.child.signalCode === null;
const label = (g: SpawnedGateway) => `gateway #${gateways.indexOf(g)} (pid ${g.child.pid})`;

async function get<T>(g: SpawnedGateway, path: string): Promise<T> {
  const response = await fetch(`${g.url}${path}`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
    signal: AbortSignal.timeout(2_000),
  });
  if (response.status !== 200) throw new Error(`${label(g)} ${path}: ${response.status}`);
  return (await response.json()) as T;
}
const status = (g: SpawnedGateway) => get<SyncStatus>(g, "/llmrouter/config/sync/status");
const models = async (g: SpawnedGateway) =>
  (await get<{ data: { id: string }[] }>(g, "/v1/models")).data.map((m) => m.id).sort();

/** Polls `check` every `intervalMs`; resolves to the ms it took, or throws with the processes' logs. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>, intervalMs = 50) {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      const logs = await Promise.all(
        gateways.map(async (g) => {
          const now = alive(g) ? JSON.stringify(await status(g).catch(String)) : "exited";
          return `--- ${label(g)}: ${now}\n${g.output().split("\n").slice(-15).join("\n")}`;
        }),
      );
      throw new Error(`${what}: not within ${timeoutMs} ms\n${logs.join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Reads the status of `among` concurrently and checks that at most one leads; resolves to the
 * leader (undefined when none does).
 */
async function leaderOf(among: readonly SpawnedGateway[]): Promise<SpawnedGateway | undefined> {
  const statuses = await Promise.all(among.map(status));
  const leaders = among.filter((_, i) => statuses[i]?.leader_election.is_leader);
  expect(
    leaders.length,
    `replicas reporting is_leader: ${leaders.map(label).join(", ")}`,
  ).toBeLessThanOrEqual(1);
  return leaders[0];
}

/** Sends `signal` to the leader among `among`, then waits for another one to lead: the takeover time. */
async function takeover(among: readonly SpawnedGateway[], signal: NodeJS.Signals, limitMs: number) {
  const leader = await leaderOf(among);
  if (leader === undefined) throw new Error("no leader to stop");
  const survivors = among.filter((g) => g !== leader);
  const sentAt = Date.now();
  leader.child.kill(signal);
  let next: SpawnedGateway | undefined;
  await within(`a new leader after ${signal}`, limitMs, async () => {
    next = await leaderOf(survivors);
    return next !== undefined;
  });
  const elapsed = Date.now() - sentAt;
  if (next === undefined) throw new Error("unreachable");
  return { leader, next, survivors, elapsed };
}

beforeAll(async () => {
  await requireRedis();
  s3 = await startLocalS3(BUCKET);
  await upload(configWith("first"));
  schema = await createTestSchema("failover");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: KEY,
    // The gateways take S3 credentials from the SDK's default chain, as in production.
    ...s3.clientEnv,
    CONFIG_SYNC_INTERVAL: "0.5",
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: "0.5",
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: String(LEASE_SECONDS),
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: String(RENEW_SECONDS),
  };
  // Started together, as replicas of one deployment are; migrations serialize on an advisory lock.
  const started = await Promise.allSettled(
    [0, 1, 2].map(() => spawnGateway(configWith("local"), env)),
  );
  for (const result of started) if (result.status === "fulfilled") gateways.push(result.value);
  const failed = started.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}, 45_000);

afterAll(async () => {
  await Promise.all(
    gateways.map(async (g) => {
      if (alive(g)) g.child.kill("SIGKILL");
      await g.exited;
      await rm(g.dir, { recursive: true, force: true });
    }),
  );
  await schema?.drop();
  await s3?.close();
  if (Object.keys(measured).length > 0) console.info("leader takeover times (ms):", measured);
});

describe("config sync leader failover across gateway processes", () => {
  it("exactly one replica leads at any instant, and every replica serves the S3 config", async () => {
    await within("all replicas serve the S3 config", 10_000, async () =>
      (await Promise.all(gateways.map(models))).every((m) => m.join() === "first"),
    );
    await within("a leader", 5_000, async () => (await leaderOf(gateways)) !== undefined);
    const holders = new Set<string>();
    const started = Date.now();
    let samples = 0;
    while (Date.now() - started < 2_000) {
      const statuses = await Promise.all(gateways.map(status));
      const leaders = statuses.filter((s) => s.leader_election.is_leader);
      expect(leaders.length, `sample ${samples}: replicas reporting is_leader`).toBeLessThanOrEqual(1);
      for (const s of leaders)
        holders.add(`${s.leader_election.holder_id}#${s.leader_election.fencing_token}`);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(samples).toBeGreaterThanOrEqual(10);
    const final = await Promise.all(gateways.map(status));
    expect(final.filter((s) => s.leader_election.is_leader)).toHaveLength(1);
    // A lease renewed every 0.5 s for 2 s never lapses: one holder, one fencing token throughout.
    expect([...holders]).toHaveLength(1);
    expect(new Set(final.map((s) => s.leader_election.holder_id)).size).toBe(3);
    for (const s of final) expect(s.leader_election.enabled).toBe(true);
  });

  it("kill -9 of the leader: another replica leads once the lease runs out, and keeps syncing", async () => {
    const before = await Promise.all(gateways.map(status));
    const oldToken = before.find((s) => s.leader_election.is_leader)?.leader_election.fencing_token ?? 0;
    const limitMs = (LEASE_SECONDS + RENEW_SECONDS + 1) * 1000;
    const { leader, next, survivors, elapsed } = await takeover(gateways, "SIGKILL", limitMs);
    measured.sigkill = elapsed;
    expect(elapsed).toBeLessThanOrEqual(limitMs);
    await leader.exited;
    expect(leader.child.signalCode).toBe("SIGKILL");
    // A new holder: the fencing token grew, so the dead leader's writes (had it any left) are refused.
    expect((await status(next)).leader_election.fencing_token).toBeGreaterThan(oldToken);

    await upload(configWith("first", "after-kill"));
    await within("the config uploaded after the kill reaches both survivors", 5_000, async () =>
      (await Promise.all(survivors.map(models))).every((m) => m.join() === "after-kill,first"),
    );
    const statuses = await Promise.all(survivors.map(status));
    expect(new Set(statuses.map((s) => s.revision)).size).toBe(1);
  });

  it("SIGTERM of the leader: it exits 0 and releases the lease, so the last replica leads at once", async () => {
    const remaining = gateways.filter(alive);
    expect(remaining).toHaveLength(2);
    const limitMs = RENEW_SECONDS * 1000 + 1_500;
    const { leader, next, elapsed } = await takeover(remaining, "SIGTERM", limitMs);
    measured.sigterm = elapsed;
    expect(elapsed).toBeLessThanOrEqual(limitMs);
    expect(await leader.exited).toBe(0);
    expect(leader.output()).toContain('"stopped"');

    await upload(configWith("after-term"));
    await within(
      "the config uploaded after the handover reaches the last replica",
      5_000,
      async () => (await models(next)).join() === "after-term",
    );
  });
});
