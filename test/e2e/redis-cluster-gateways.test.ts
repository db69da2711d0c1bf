import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { type LocalRedisCluster, startRedisCluster } from "../support/redis-cluster";
import { admin, chat, type Gateway, generateKey, waitFor } from "../support/replicas";

// Two gateways on one PostgreSQL and a three-node Redis Cluster (REDIS_CLUSTER_NODES), as
// ElastiCache in cluster mode serves them: limits, budgets and key changes hold across both.

const config = {
  model_list: [{ model_name: "alpha", litellm_params: { model: "mock/alpha", mock_response: "from alpha" } }],
  general_settings: { master_key: MASTER_KEY, user_api_key_cache_ttl: 120 },
};

let cluster: LocalRedisCluster;
let schema: TestSchema;
let one: Gateway;
let two: Gateway;

beforeAll(async () => {
  [cluster, schema] = await Promise.all([startRedisCluster(3), createTestSchema("cluster")]);
  const env = { DATABASE_URL: schema.url, REDIS_CLUSTER_NODES: JSON.stringify(cluster.nodes) };
  one = await startGateway(config, env);
  two = await startGateway(config, env);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([one, two].map((g) => g?.shutdown()));
  await cluster?.stop();
  await schema?.drop();
});

describe("gateways on a Redis Cluster", () => {
  it("share keys' and teams' rate limits through the cluster", async () => {
    const team = await admin(one, "/team/new", { team_alias: "cluster", rpm_limit: 2 });
    expect(team.status).toBe(200);
    const teamId = team.body.team_id as string;
    const key = await generateKey(one, { rpm_limit: 1 });
    expect((await chat(one, key, { model: "alpha" })).status).toBe(200);
    const again = await chat(two, key, { model: "alpha" });
    expect([again.status, again.code]).toEqual([429, "rpm_limit_exceeded"]);

    const [first, second, third] = await Promise.all(
      [1, 2, 3].map(() => generateKey(one, { team_id: teamId, rpm_limit: 5 })),
    );
    expect((await chat(one, first as string, { model: "alpha" })).status).toBe(200);
    expect((await chat(two, second as string, { model: "alpha" })).status).toBe(200);
    const refused = await chat(one, third as string, { model: "alpha" });
    expect([refused.status, refused.code]).toEqual([429, "rpm_limit_exceeded"]);
  });

  it("hear a key's deletion from the other gateway", async () => {
    const key = await generateKey(one);
    expect((await chat(two, key, { model: "alpha" })).status).toBe(200);
    expect((await admin(one, "/key/delete", { keys: [key] })).status).toBe(200);
    await waitFor(
      "deleted key refused by the other gateway",
      async () => (await chat(two, key, { model: "alpha" })).status === 401,
      2_000,
    );
  });
});
