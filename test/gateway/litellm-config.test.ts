import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNodeEnv } from "../../functions/gateway/env";
import { type NodeGateway, startNodeGateway } from "../../functions/gateway/server";
import { jsonLogger } from "../../shared/logging/logger";
import { prometheusMetrics } from "../../shared/metrics/prometheus";
import { pgSql } from "../../shared/store/sql/pg";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis, runTag } from "../support/replicas";

/**
 * A config as a LiteLLM user has it, unchanged: provider-less model names, wildcard routes,
 * `general_settings.database_url`, `cache_params` with LiteLLM's Redis settings, callbacks and
 * settings RouteIQ has no use for. It loads, serves, and keeps keys in the database it names.
 */

const RUN = runTag();
const MASTER_KEY = `sk-litellm-${RUN}`;
let openai: OpenAIUpstream;
let anthropic: AnthropicUpstream;
let database: TestSchema;
let gateway: NodeGateway;
const logs: Array<Record<string, unknown>> = [];

const litellmConfig = (openaiBase: string, anthropicBase: string) => `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: gpt-4o
      api_base: ${openaiBase}
      api_key: os.environ/OPENAI_API_KEY
  - model_name: claude-3-5-sonnet
    litellm_params:
      model: claude-3-5-sonnet-20241022
      api_base: ${anthropicBase}
      api_key: os.environ/ANTHROPIC_API_KEY
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
      api_base: ${openaiBase}
      api_key: os.environ/OPENAI_API_KEY
  - model_name: "*"
    litellm_params:
      model: "*"
      api_base: ${openaiBase}
      api_key: os.environ/OPENAI_API_KEY

router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  redis_host: os.environ/REDIS_HOST
  redis_port: os.environ/REDIS_PORT

litellm_settings:
  drop_params: true
  success_callback: ["prometheus"]
  cache: true
  cache_params:
    type: redis
    host: os.environ/REDIS_HOST
    port: os.environ/REDIS_PORT
    ttl: 600
    namespace: litellm.caching.caching
    supported_call_types: ["acompletion", "completion", "embedding", "aembedding"]

general_settings:
  master_key: os.environ/LITELLM_MASTER_KEY
  database_url: os.environ/DATABASE_URL
`;

beforeAll(async () => {
  await requireRedis();
  openai = await startOpenAIUpstream({ name: "openai" });
  anthropic = await startAnthropicUpstream({ name: "anthropic" });
  database = await createTestSchema("litellm");
  const dir = mkdtempSync(join(tmpdir(), "routeiq-litellm-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, litellmConfig(`${openai.url}/v1`, anthropic.url));
  const redis = new URL(REDIS_URL);
  const env = {
    OPENAI_API_KEY: "sk-openai-up",
    ANTHROPIC_API_KEY: "sk-ant-up",
    LITELLM_MASTER_KEY: MASTER_KEY,
    DATABASE_URL: database.url,
    REDIS_HOST: redis.hostname,
    REDIS_PORT: redis.port || "6379",
  };
  gateway = await startNodeGateway({
    configPath,
    env,
    nodeEnv: parseNodeEnv({ PORT: "0", HOST: "127.0.0.1", ROUTEIQ_DATA_DIR: dir, ...env }),
    logger: jsonLogger((line) => void logs.push(JSON.parse(line))),
    metrics: prometheusMetrics({ defaultMetrics: false }),
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await openai?.close();
  await anthropic?.close();
  await database?.drop();
});

const client = () => new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
// The cache is on, and the master key is one cache identity: each run asks its own questions.
const ask = (model: string, content = `hello ${RUN}`) =>
  client()
    .chat.completions.create({ model, messages: [{ role: "user", content }] })
    .withResponse();

describe("a LiteLLM proxy config", () => {
  it("loads, warning once about each key RouteIQ has no use for, saying what to use instead", () => {
    const ignored = logs.filter((l) => l.message === "config key ignored").map((l) => String(l.detail));
    expect(ignored).toContain(
      "router_settings.redis_host: not used by RouteIQ, ignored; RouteIQ's Redis is set by REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) in the gateway's environment",
    );
    expect(new Set(ignored).size).toBe(ignored.length);
    expect(logs.some((l) => l.level === "error")).toBe(false);
  });

  it("serves provider-less names from their provider", async () => {
    await ask("gpt-4o");
    expect(openai.requests.at(-1)?.body.model).toBe("gpt-4o");
    expect(openai.requests.at(-1)?.headers.authorization).toBe("Bearer sk-openai-up");
    const claude = await ask("claude-3-5-sonnet");
    expect(claude.data.choices[0]?.message.content).toBe("Hello from anthropic");
    expect(anthropic.requests.at(-1)?.body.model).toBe("claude-3-5-sonnet-20241022");
  });

  it("serves any model through its wildcard routes, passing the name through", async () => {
    await ask("gpt-4.1-mini");
    expect(openai.requests.at(-1)?.body.model).toBe("gpt-4.1-mini");
    const prefixed = await ask("openai/o3-mini");
    expect(prefixed.response.headers.get("x-routeiq-deployment")).toBe("openai/*");
    expect(openai.requests.at(-1)?.body.model).toBe("o3-mini");
    const listed = (await client().models.list()).data.map((m) => m.id);
    expect(listed).toEqual(
      expect.arrayContaining(["gpt-4o", "claude-3-5-sonnet", "openai/*", "*", "openai/gpt-4.1"]),
    );
  });

  it("caches answers in Redis with cache: true", async () => {
    const question = `cache ${runTag()}`;
    expect((await ask("gpt-4o", question)).response.headers.get("x-routeiq-cache")).toBe("miss");
    expect((await ask("gpt-4o", question)).response.headers.get("x-routeiq-cache")).toBe("hit");
  });

  it("keeps virtual keys in the database general_settings.database_url names", async () => {
    const made = await fetch(`${gateway.url}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ models: ["gpt-4o"] }),
    });
    expect(made.status).toBe(200);
    const sql = pgSql({ connectionString: database.url });
    try {
      const { rows } = await sql.query<{ n: string }>("SELECT count(*) AS n FROM routeiq_keys");
      expect(Number(rows[0]?.n)).toBe(1);
    } finally {
      await sql.close();
    }
  });
});
