import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from "../../infra/local/s3-server";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { sample } from "../support/metrics";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";

const BUCKET = "routeiq-sync";
const KEY = "configs/config.yaml";
const INTERVAL_SECONDS = 0.3;

type Gateway = Awaited<ReturnType<typeof startGateway>>;

let s3: LocalS3;
let schema: TestSchema;
const gateways: Gateway[] = [];
let objectGets = 0;
let lateEnv: Record<string, string>;

const configWith = (...models: string[]) =>
  stringify({
    general_settings: { master_key: MASTER_KEY },
    model_list: models.map((m) => ({ model_name: m, litellm_params: { model: `mock/${m}` } })),
  });
const upload = (body: string) => s3.put(KEY, body);

const get = async (gateway: Gateway, path: string) => {
  const response = await fetch(`${gateway.url}${path}`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
  });
  expect(response.status).toBe(200);
  return response.json();
};
const models = async (g: Gateway) => ((await get(g, "/v1/models")).data as { id: string }[]).map((m) => m.id);
const status = (g: Gateway) => get(g, "/llmrouter/config/sync/status");

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await requireRedis();
  s3 = await startLocalS3(BUCKET);
  s3.server.httpServer.on("request", (req) => {
    if (req.method === "GET" && req.url?.startsWith(`/${BUCKET}/${KEY}`)) objectGets += 1;
  });
  // The gateways take S3 credentials from the SDK's default chain, as in production.
  vi.stubEnv("AWS_ACCESS_KEY_ID", S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", S3RVER_CREDENTIALS.secretAccessKey);
  await upload(configWith("first"));
  schema = await createTestSchema("sync");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: KEY,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: "us-east-1",
    CONFIG_SYNC_INTERVAL: String(INTERVAL_SECONDS),
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: "0.5",
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "2",
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "0.2",
  };
  lateEnv = env;
  for (let i = 0; i < 3; i++) gateways.push(await startGateway({ model_list: [] }, env));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.shutdown()));
  await schema?.drop();
  vi.unstubAllEnvs();
  await s3?.close();
});

describe("config sync from S3 across replicas", () => {
  it("elects one leader; every replica serves the uploaded config", async () => {
    await eventually(async () =>
      (await Promise.all(gateways.map(models))).every((m) => m.join() === "first"),
    );
    const statuses = await Promise.all(gateways.map(status));
    expect(statuses.filter((s) => s.leader_election.is_leader)).toHaveLength(1);
    for (const s of statuses)
      expect(s).toMatchObject({ enabled: true, running: true, source: `s3://${BUCKET}/${KEY}` });
  });

  it("a new object reaches every replica; followers skip quietly and S3 sees one GET per interval, not one per replica", async () => {
    const getsBefore = objectGets;
    const started = Date.now();
    await upload(configWith("first", "second"));
    await eventually(async () =>
      (await Promise.all(gateways.map(models))).every((m) => m.join() === "first,second"),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const elapsedIntervals = (Date.now() - started) / (INTERVAL_SECONDS * 1000);
    // Three replicas polling on their own would make about three GETs per interval.
    expect(objectGets - getsBefore).toBeLessThanOrEqual(Math.ceil(elapsedIntervals) + 2);
    const statuses = await Promise.all(gateways.map(status));
    const followers = statuses.filter((s) => !s.leader_election.is_leader);
    expect(followers.length).toBe(2);
    for (const f of followers) expect(f.leader_election.skipped_sync_count).toBeGreaterThan(0);
    const revisions = new Set(statuses.map((s) => s.revision));
    expect(revisions.size).toBe(1);
  });

  it("refuses an invalid object: the last good config keeps serving and the status says why", async () => {
    await upload(
      stringify({ model_list: [{ model_name: "broken", litellm_params: { model: "no-provider" } }] }),
    );
    const leader = async () => {
      for (const g of gateways) if ((await status(g)).leader_election.is_leader) return g;
      throw new Error("no leader");
    };
    await eventually(async () => (await status(await leader())).last_outcome === "invalid");
    const s = await status(await leader());
    expect(s.last_error).toContain(
      'has no provider and is not a model RouteIQ knows the provider of; write "<provider>/<model>"',
    );
    for (const g of gateways) expect(await models(g)).toEqual(["first", "second"]);

    // A good object again: every replica recovers.
    await upload(configWith("first", "second", "third"));
    await eventually(async () =>
      (await Promise.all(gateways.map(models))).every((m) => m.join() === "first,second,third"),
    );
    expect((await status(await leader())).last_outcome).toBe("published");
  });

  it.each([
    ["an empty object", "", "config is empty"],
    [
      "an object without the master key",
      stringify({ model_list: [{ model_name: "opened", litellm_params: { model: "mock/opened" } }] }),
      "general_settings.master_key: missing",
    ],
  ])(
    "refuses %s; the status and metrics say so until a valid object replaces it",
    async (_name, body, cause) => {
      const leader = async () => {
        for (const g of gateways) if ((await status(g)).leader_election.is_leader) return g;
        throw new Error("no leader");
      };
      // Over every replica: leadership may move during the test, and no replica may call it a success.
      const lastSuccess = async () => {
        const samples = await Promise.all(
          gateways.map(async (g) =>
            sample(
              await (await fetch(`${g.url}/metrics`)).text(),
              "routeiq_config_sync_last_success_timestamp_seconds",
            ),
          ),
        );
        return Math.max(...samples.map((value) => value ?? 0));
      };
      await upload(body);
      await eventually(async () => String((await status(await leader())).last_error).includes(cause));
      const refusedAt = await lastSuccess();
      // Several intervals on, the ETag is unchanged but the object behind it is still the bad one.
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_SECONDS * 1000 * 5));
      const still = await status(await leader());
      expect(still.last_outcome).toBe("invalid");
      expect(still.last_error).toContain(cause);
      expect(await lastSuccess()).toBe(refusedAt);
      for (const g of gateways) {
        expect((await fetch(`${g.url}/v1/models`)).status).toBe(401);
        expect(await models(g)).toEqual(["first", "second", "third"]);
      }

      // The good object again (the revision already published, so a replica that led before may
      // find it unchanged): the invalid state clears and the success timestamp moves on.
      await upload(configWith("first", "second", "third"));
      await eventually(async () => (await status(await leader())).last_error === null);
      expect(["published", "unchanged"]).toContain((await status(await leader())).last_outcome);
      expect(await lastSuccess()).toBeGreaterThan(refusedAt);
    },
  );

  it("a replica that starts later serves the latest revision from its first request", async () => {
    const late = await startGateway(
      { model_list: [{ model_name: "local-only", litellm_params: { model: "mock/x" } }] },
      lateEnv,
    );
    gateways.push(late);
    expect(await models(late)).toEqual(["first", "second", "third"]);
  });

  it("when the leader shuts down, another replica takes over at once and keeps syncing", async () => {
    let leaderIndex = -1;
    for (const [i, g] of gateways.entries()) if ((await status(g)).leader_election.is_leader) leaderIndex = i;
    const [leader] = gateways.splice(leaderIndex, 1);
    await leader?.shutdown();
    await eventually(
      async () => (await Promise.all(gateways.map(status))).some((s) => s.leader_election.is_leader),
      3_000,
    );
    await upload(configWith("after-handover"));
    await eventually(
      async () => (await Promise.all(gateways.map(models))).every((m) => m.join() === "after-handover"),
      15_000,
    );
  });
});
