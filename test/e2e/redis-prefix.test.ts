import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSyncStores } from "../../functions/sync/stores";
import { silentLogger } from "../../shared/logging/logger";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { REVISION_CHANNEL } from "../../shared/sync/revision-follower";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import {
  admin,
  chat,
  type Gateway,
  generateKey,
  REDIS_URL,
  requireRedis,
  runTag,
  waitFor,
} from "../support/replicas";

// One PostgreSQL schema (so every gateway knows every key) and one Redis server, shared by
// gateways of different deployments: ROUTEIQ_REDIS_PREFIX, and the Redis database, keep apart
// what each deployment keeps in Redis (limits, key copies) and what it announces (key changes).

const tag = runTag();
const SHARED = `shared-${tag}`;
const OTHER = `other-${tag}`;

const onDatabase = (db: number) => {
  const url = new URL(REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
};

const config = {
  model_list: [{ model_name: "alpha", litellm_params: { model: "mock/alpha", mock_response: "from alpha" } }],
  // Long enough that a replica which hears no key change keeps serving the key it cached.
  general_settings: { master_key: MASTER_KEY, user_api_key_cache_ttl: 120 },
};

let schema: TestSchema;
let a: Gateway;
let sameAsA: Gateway;
let otherPrefix: Gateway;
let otherDatabase: Gateway;

beforeAll(async () => {
  await requireRedis();
  schema = await createTestSchema("prefix");
  const start = (prefix: string, redisUrl = onDatabase(0)) =>
    startGateway(config, { DATABASE_URL: schema.url, REDIS_URL: redisUrl, ROUTEIQ_REDIS_PREFIX: prefix });
  a = await start(SHARED);
  sameAsA = await start(SHARED);
  otherPrefix = await start(OTHER);
  otherDatabase = await start(SHARED, onDatabase(9));
});

afterAll(async () => {
  await Promise.allSettled([a, sameAsA, otherPrefix, otherDatabase].map((g) => g?.shutdown()));
  for (const db of [0, 9]) {
    const raw = new Redis(onDatabase(db), { maxRetriesPerRequest: 1 });
    for (const prefix of [SHARED, OTHER]) {
      const keys = [...(await raw.keys(`${prefix}:*`)), ...(await raw.keys(`{${prefix}:*`))];
      if (keys.length > 0) await raw.del(...keys);
    }
    raw.disconnect();
  }
  await schema?.drop();
});

describe("gateways sharing one Redis under ROUTEIQ_REDIS_PREFIX", () => {
  it("share rate limits with their own prefix and database only", async () => {
    const key = await generateKey(a, { rpm_limit: 1 });
    expect((await chat(a, key, { model: "alpha" })).status).toBe(200);
    const same = await chat(sameAsA, key, { model: "alpha" });
    expect([same.status, same.code]).toEqual([429, "rpm_limit_exceeded"]);
    expect((await chat(otherPrefix, key, { model: "alpha" })).status).toBe(200);
    expect((await chat(otherDatabase, key, { model: "alpha" })).status).toBe(200);
  });

  it("hear key changes from their own prefix and database only", async () => {
    const key = await generateKey(a);
    for (const g of [sameAsA, otherPrefix, otherDatabase])
      expect((await chat(g, key, { model: "alpha" })).status).toBe(200);
    expect((await admin(a, "/key/delete", { keys: [key] })).status).toBe(200);
    await waitFor(
      "deleted key refused by the gateway with the same prefix",
      async () => (await chat(sameAsA, key, { model: "alpha" })).status === 401,
      1_000,
    );
    // The announcement has reached its listeners by now; the others still serve from their cache.
    for (const g of [otherPrefix, otherDatabase])
      expect((await chat(g, key, { model: "alpha" })).status).toBe(200);
  });

  it("the sync worker announces revisions under the gateways' prefix, where only they listen", async () => {
    const stores = await openSyncStores(
      { DATABASE_URL: schema.url, REDIS_URL: onDatabase(0), ROUTEIQ_REDIS_PREFIX: SHARED },
      silentLogger,
    );
    const listener = redisKv({ url: onDatabase(0), onError: () => {} });
    const heard = { same: [] as string[], other: [] as string[] };
    try {
      await prefixedKv(listener, SHARED).subscribe(REVISION_CHANNEL, (m) => heard.same.push(m));
      await prefixedKv(listener, OTHER).subscribe(REVISION_CHANNEL, (m) => heard.other.push(m));
      await stores.kv?.publish(REVISION_CHANNEL, "7");
      await prefixedKv(listener, OTHER).publish(REVISION_CHANNEL, "other");
      await waitFor(
        "announcements delivered",
        async () => heard.same.length > 0 && heard.other.length > 0,
        2_000,
      );
      expect(heard).toEqual({ same: ["7"], other: ["other"] });
    } finally {
      await listener.close();
      await stores.close();
    }
  });
});
