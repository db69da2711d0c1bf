import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from "../../infra/local/s3-server";
import { routerTypes } from "../../shared/learned/artifact/format";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { learnedDeployments, requestIdFor, signingKey, tinyArtifact } from "../support/learned";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { metricTotal, REDIS_URL, requireRedis, waitFor } from "../support/replicas";

/**
 * Routing models the whole way: S3 → the elected leader (checks the signature, publishes) →
 * Postgres → every replica (checks again, hot-swaps), with a signing key configured.
 */
const BUCKET = "routeiq-learned";
const CONFIG_KEY = "configs/config.yaml";
const MODEL_KEY = "models/router.json";

type Gateway = Awaited<ReturnType<typeof startGateway>>;

let s3: LocalS3;
let schema: TestSchema;
let signer: Awaited<ReturnType<typeof signingKey>>;
const gateways: Gateway[] = [];
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

const config = {
  general_settings: { master_key: MASTER_KEY },
  model_list: learnedDeployments("auto"),
  // One A/B arm per router type; the request id picks the arm.
  learned_routing: {
    groups: {
      auto: { routers: routerTypes.map((t) => ({ strategy: `llmrouter-${t}` })), assign_by: "request" },
    },
  },
};
let requests = 0;

async function status(g: Gateway) {
  const response = await fetch(`${g.url}/llmrouter/config/sync/status`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
  });
  return (await response.json()) as {
    leader_election: { is_leader: boolean };
    routing_model: {
      last_outcome: string | null;
      last_error: string | null;
      serving: { revision: number } | null;
    };
  };
}

const serving = async (g: Gateway) => (await status(g)).routing_model.serving?.revision ?? 0;

async function leader(): Promise<Gateway> {
  for (const g of gateways) if ((await status(g)).leader_election.is_leader) return g;
  throw new Error("no leader");
}

/** One chat completion (on `router`'s arm, else any); the artifact revision the router named, or the failure's status. */
async function ask(g: Gateway, router?: string): Promise<{ status: number; artifact: string | undefined }> {
  const arms = g.deps.config.current().learnedRouting?.groups.get("auto")?.arms ?? [];
  const requestId =
    router === undefined ? `any-${++requests}` : requestIdFor(arms, "auto", router, `s${++requests}`);
  const response = await fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${MASTER_KEY}`,
      "content-type": "application/json",
      "x-request-id": requestId,
    },
    body: JSON.stringify({
      model: "auto",
      messages: [{ role: "user", content: "def function return list" }],
    }),
  });
  await response.arrayBuffer();
  return {
    status: response.status,
    artifact: /artifact=(\d+)/.exec(response.headers.get("x-routeiq-router") ?? "")?.[1],
  };
}

beforeAll(async () => {
  await requireRedis();
  s3 = await startLocalS3(BUCKET);
  vi.stubEnv("AWS_ACCESS_KEY_ID", S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", S3RVER_CREDENTIALS.secretAccessKey);
  signer = await signingKey();
  await s3.put(CONFIG_KEY, stringify(config));
  await s3.put(MODEL_KEY, decode(await signer.sign(tinyArtifact(routerTypes, 1))));
  schema = await createTestSchema("learned");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: CONFIG_KEY,
    LLMROUTER_MODEL_S3_BUCKET: BUCKET,
    LLMROUTER_MODEL_S3_KEY: MODEL_KEY,
    LLMROUTER_MODEL_PUBLIC_KEY: signer.publicKey,
    LLMROUTER_MODEL_POLL_SECONDS: "0.5",
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: "us-east-1",
    CONFIG_SYNC_INTERVAL: "0.3",
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: "0.5",
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "2",
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "0.2",
  };
  for (let i = 0; i < 2; i++) gateways.push(await startGateway(config, env));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.shutdown()));
  await schema?.drop();
  vi.unstubAllEnvs();
  await s3?.close();
});

describe("routing models synced from S3", () => {
  it("a signed model reaches every replica, which routes with each of its router types", async () => {
    await waitFor(
      "every replica serving the model",
      async () => (await Promise.all(gateways.map(serving))).every((r) => r > 0),
      15_000,
    );
    const revision = await serving(gateways[0] as Gateway);
    for (const g of gateways) {
      for (const type of routerTypes) {
        expect(await ask(g, `llmrouter-${type}`)).toEqual({ status: 200, artifact: String(revision) });
      }
    }
  });

  it.each([
    [
      "a tampered model",
      async () => {
        const envelope = JSON.parse(decode(await signer.sign(tinyArtifact(["knn"], 2))));
        envelope.payload = Buffer.from(decode(tinyArtifact(["knn"], 3))).toString("base64");
        return JSON.stringify(envelope);
      },
      "signature does not match",
    ],
    ["an unsigned model", async () => decode(tinyArtifact(["knn"], 4)), "not signed"],
  ])(
    "refuses %s: logged, counted, in the status, and the previous model keeps serving",
    async (_name, body, reason) => {
      const before = await serving(gateways[0] as Gateway);
      const refusedBefore = await metricTotal(await leader(), "routeiq_router_artifact_total", {
        stage: "publish",
        outcome: "invalid",
      });
      await s3.put(MODEL_KEY, await body());
      await waitFor(
        "the leader refusing it",
        async () => {
          const { routing_model } = await status(await leader());
          return (
            routing_model.last_outcome === "invalid" && (routing_model.last_error ?? "").includes(reason)
          );
        },
        15_000,
      );
      expect(
        await metricTotal(await leader(), "routeiq_router_artifact_total", {
          stage: "publish",
          outcome: "invalid",
        }),
      ).toBeGreaterThan(refusedBefore);
      for (const g of gateways) {
        expect(await serving(g)).toBe(before);
        expect(await ask(g)).toEqual({ status: 200, artifact: String(before) });
      }
    },
  );

  it("swaps a new model in under load without failing a request", async () => {
    const before = await serving(gateways[0] as Gateway);
    const seen: { status: number; artifact: string | undefined }[] = [];
    let loading = true;
    const workers = Array.from({ length: 4 }, async (_, w) => {
      while (loading) seen.push(await ask(gateways[w % gateways.length] as Gateway));
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await s3.put(MODEL_KEY, decode(await signer.sign(tinyArtifact(routerTypes, 5))));
      await waitFor(
        "every replica on the new model",
        async () => (await Promise.all(gateways.map(serving))).every((r) => r > before),
        30_000,
      ).catch(async (error: Error) => {
        // What each replica saw, so a slow swap on a loaded machine says where it stalled.
        const states = await Promise.all(gateways.map(async (g) => JSON.stringify(await status(g))));
        throw new Error(`${error.message}; replicas: ${states.join(" | ")}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      loading = false;
      await Promise.allSettled(workers);
    }
    const after = await serving(gateways[0] as Gateway);
    expect(seen.filter((r) => r.status !== 200)).toEqual([]);
    expect(new Set(seen.map((r) => r.artifact))).toEqual(new Set([String(before), String(after)]));
  }, 45_000);
});
