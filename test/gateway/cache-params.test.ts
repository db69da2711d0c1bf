import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { REDIS_URL, requireRedis, runTag } from "../support/replicas";
import { closedPort } from "../support/routing";

// LiteLLM's `litellm_settings.cache_params` as LiteLLM configs write them: the cache on a Redis
// of its own, under a namespace, for the call types listed.

const tag = runTag();
const PREFIX = `cache-params-${tag}`;
const redis = new URL(REDIS_URL);

const onDatabase = (db: number) => {
  const url = new URL(REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
};

const models = [
  { model_name: "chat", litellm_params: { model: "mock/chat", mock_response: "cached?" } },
  { model_name: "embed", litellm_params: { model: "mock/embed" }, model_info: { mode: "embedding" } },
];

type Gateway = Awaited<ReturnType<typeof startGateway>>;

async function post(gateway: Gateway, path: string, body: Record<string, unknown>) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await response.text();
  return response;
}

const askChat = (gateway: Gateway) =>
  post(gateway, "/v1/chat/completions", { model: "chat", messages: [{ role: "user", content: tag }] });
const askEmbedding = (gateway: Gateway) => post(gateway, "/v1/embeddings", { model: "embed", input: tag });

async function readiness(gateway: Gateway) {
  const response = await fetch(`${gateway.url}/_health/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(() => requireRedis());

describe("cache_params naming a Redis of its own", () => {
  let gateway: Gateway;
  // The gateway's own Redis is database 3; cache_params names the server by host and port, which
  // reaches database 0: where each entry lands tells which store holds it.
  const database0 = new Redis(onDatabase(0), { lazyConnect: true, maxRetriesPerRequest: 1 });
  const database3 = new Redis(onDatabase(3), { lazyConnect: true, maxRetriesPerRequest: 1 });

  beforeAll(async () => {
    await Promise.all([database0.connect(), database3.connect()]);
    gateway = await startGateway(
      {
        model_list: models,
        litellm_settings: {
          cache: true,
          cache_params: {
            type: "redis",
            host: redis.hostname,
            port: redis.port || "6379",
            namespace: "litellm.caching.caching",
            supported_call_types: ["acompletion", "atranscription"],
          },
        },
      },
      { REDIS_URL: onDatabase(3), ROUTEIQ_REDIS_PREFIX: PREFIX },
    );
  });

  afterAll(async () => {
    await gateway?.shutdown();
    for (const client of [database0, database3]) {
      const keys = await client.keys(`${PREFIX}:*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
  });

  it("keeps answers there as <prefix>:<namespace>:<hash>, apart from the gateway's limits and keys", async () => {
    expect((await askChat(gateway)).headers.get("x-routeiq-cache")).toBe("miss");
    const hit = await askChat(gateway);
    expect(hit.headers.get("x-routeiq-cache")).toBe("hit");
    const hash = hit.headers.get("x-litellm-cache-key");
    expect(await database0.exists(`${PREFIX}:litellm.caching.caching:${hash}`)).toBe(1);
    expect(await database3.keys(`${PREFIX}:litellm.caching.caching:*`)).toEqual([]);
  });

  it("caches only the call types listed", async () => {
    const first = await askEmbedding(gateway);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-routeiq-cache")).toBeNull();
    expect((await askEmbedding(gateway)).headers.get("x-routeiq-cache")).toBeNull();
  });

  it("reports the cache Redis in readiness as a check that cannot fail it", async () => {
    expect(await readiness(gateway)).toEqual({
      status: 200,
      body: expect.objectContaining({ checks: { database: "ok", redis: "ok", cache_redis: "ok" } }),
    });
  });
});

describe("cache_params naming a Redis that is down", () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await startGateway(
      {
        model_list: models,
        litellm_settings: { cache: true, cache_params: { host: "127.0.0.1", port: await closedPort() } },
      },
      { REDIS_URL: onDatabase(3), ROUTEIQ_REDIS_PREFIX: PREFIX },
    );
  });

  afterAll(() => gateway?.shutdown());

  it("serves every request, bypassing the cache", async () => {
    for (const ask of [askChat, askChat, askEmbedding]) {
      const answer = await ask(gateway);
      expect([answer.status, answer.headers.get("x-routeiq-cache")]).toEqual([200, "bypass"]);
    }
  });

  it("stays ready, with a warning naming the cache", async () => {
    const { status, body } = await readiness(gateway);
    expect(status).toBe(200);
    expect(body.warnings).toEqual({
      cache_redis: expect.stringMatching(/^unreachable .*; requests are served without the response cache$/),
    });
  });
});

describe("cache_params pointing at the gateway's own Redis, as LiteLLM configs write it", () => {
  it("reads REDIS_HOST and REDIS_PORT and uses the gateway's connection", async () => {
    const gateway = await startGateway(
      {
        model_list: models,
        litellm_settings: {
          cache: true,
          cache_params: {
            type: "redis",
            host: "os.environ/REDIS_HOST",
            port: "os.environ/REDIS_PORT",
            namespace: "own",
          },
        },
      },
      { REDIS_HOST: redis.hostname, REDIS_PORT: redis.port || "6379", ROUTEIQ_REDIS_PREFIX: PREFIX },
    );
    const database0 = new Redis(onDatabase(0), { maxRetriesPerRequest: 1 });
    try {
      await askChat(gateway);
      const hit = await askChat(gateway);
      expect(hit.headers.get("x-routeiq-cache")).toBe("hit");
      expect(await database0.exists(`${PREFIX}:own:${hit.headers.get("x-litellm-cache-key")}`)).toBe(1);
      const { body } = await readiness(gateway);
      expect(body.checks).toEqual({ database: "ok", redis: "ok" });
    } finally {
      await gateway.shutdown();
      const keys = await database0.keys(`${PREFIX}:*`);
      if (keys.length > 0) await database0.del(...keys);
      database0.disconnect();
    }
  });
});
