import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { type Gateway, REDIS_URL, requireRedis, runTag, waitFor } from "../support/replicas";

// Two replicas on one PostgreSQL schema and one Redis: whichever answers lists both, each with the
// config revision it serves and its readiness, and stops listing one that stopped.

interface Listed {
  id: string;
  revision: number;
  readiness: string;
  checks: Record<string, string>;
  age_seconds: number;
}

let schema: TestSchema;
const gateways: Gateway[] = [];

const replicas = async (gateway: Gateway): Promise<Listed[]> => {
  const response = await fetch(`${gateway.url}/llmrouter/replicas`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
  });
  if (response.status !== 200) throw new Error(`/llmrouter/replicas answered ${response.status}`);
  return ((await response.json()) as { replicas: Listed[] }).replicas;
};

beforeAll(async () => {
  await requireRedis();
  schema = await createTestSchema("roster");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    ROUTEIQ_REDIS_PREFIX: `roster-${runTag()}`,
  };
  const config = { model_list: [{ model_name: "m", litellm_params: { model: "mock/m" } }] };
  // Different rates (a rolling change of the setting), one of them not a whole number of milliseconds.
  for (const heartbeat of ["0.2005", "0.35"])
    gateways.push(await startGateway(config, { ...env, ROUTEIQ_REPLICA_HEARTBEAT_SECONDS: heartbeat }));
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.shutdown()));
  await schema?.drop();
});

describe("the replica roster on two gateways", () => {
  it("lists every replica with its own served revision and readiness, on either one", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    await waitFor("both replicas on the roster", async () => (await replicas(a)).length === 2, 10_000);
    // B reloads a changed config file: its revision moves on, A's does not.
    writeFileSync(
      b.configPath,
      `${readFileSync(b.configPath, "utf8")}\nrouter_settings: { num_retries: 1 }\n`,
    );
    await waitFor(
      "B's new revision on A's roster",
      async () => (await replicas(a)).some((r) => r.revision === 2),
      10_000,
    );
    const listed = await replicas(b);
    expect(listed.map((r) => r.revision).sort()).toEqual([1, 2]);
    for (const replica of listed) {
      expect(replica.readiness).toBe("ready");
      expect(replica.checks).toMatchObject({ database: "ok", redis: "ok" });
      expect(replica.age_seconds).toBeLessThan(2);
    }
  });

  it("drops a replica once it stops", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const before = await replicas(a);
    await b.shutdown();
    gateways.pop();
    const after = await replicas(a);
    expect(after).toHaveLength(1);
    expect(before.map((r) => r.id)).toContain(after[0]?.id);
  });
});
