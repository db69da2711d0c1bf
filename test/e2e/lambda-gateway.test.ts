import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import type { ALBEvent, ALBResult } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { lambdaGateway } from "../../functions/gateway/lambda-gateway";
import { silentLogger } from "../../shared/logging/logger";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { publishRevision } from "../../shared/store/tables/config-revisions";
import { acquireLease } from "../../shared/store/tables/leases";
import { sha256Hex } from "../../shared/sync/checksum";
import { albEvent, bodyOf, headerOf } from "../support/alb-events";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";

/**
 * The gateway as the ALB's Lambda target, from the real bundle: `infra/bundle.mjs --outdir` into a
 * temp dir, the test's config written where the CDK asset has it (config/config.yaml beside
 * index.mjs), migrated by the migrate function's bundle, then invoked with ALB events against the
 * machine's PostgreSQL and Redis and a loopback OpenAI upstream.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MASTER_KEY = "sk-lambda-master";
const LOCK = `lambda_${Date.now().toString(36)}`;
const POLL_SECONDS = 1;

type Handler = (event: ALBEvent) => Promise<ALBResult>;

let outdir: string;
let upstream: OpenAIUpstream;
let schema: TestSchema;
let sql: Sql;
let gateway: Handler;
const logLines: string[] = [];

const configWith = (...groups: string[]) =>
  stringify({
    general_settings: { master_key: MASTER_KEY },
    model_list: groups.map((group) => ({
      model_name: group,
      litellm_params: { model: "openai/gpt-4o-mini", api_base: `${upstream.url}/v1`, api_key: "sk-upstream" },
    })),
  });

const asMaster = { authorization: `Bearer ${MASTER_KEY}` };
const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "hello" }],
  ...extra,
});
const json = (result: ALBResult) => JSON.parse(bodyOf(result));

beforeAll(async () => {
  await requireRedis();
  outdir = mkdtempSync(join(tmpdir(), "routeiq-lambda-"));
  await promisify(execFile)(process.execPath, ["infra/bundle.mjs", "--outdir", outdir], { cwd: ROOT });
  upstream = await startOpenAIUpstream();
  schema = await createTestSchema("lambda");
  sql = pgSql({ connectionString: schema.url });
  writeFileSync(join(outdir, "lambda", "gateway", "config", "config.yaml"), configWith("gpt"));
  // What the CDK sets on the functions (secrets aside, see lambda-secrets.test.ts).
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CONFIG_S3_BUCKET: "routeiq-config",
    CONFIG_S3_KEY: "config.yaml",
    LLMROUTER_CONFIG_SYNC_LOCK_NAME: LOCK,
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: String(POLL_SECONDS),
    LITELLM_MASTER_KEY: "",
    LITELLM_CONFIG_PATH: "",
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  vi.spyOn(console, "log").mockImplementation((line: string) => void logLines.push(String(line)));
  // The deploy's Trigger: the gateway function itself does not migrate.
  const migrateFn = await import(pathToFileURL(join(outdir, "lambda", "migrate", "index.mjs")).href);
  expect((await migrateFn.handler()).applied.length).toBeGreaterThan(0);
  expect(await migrateFn.handler()).toEqual({ applied: [] });
  gateway = (await import(pathToFileURL(join(outdir, "lambda", "gateway", "index.mjs")).href)).handler;
}, 180_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await sql?.close();
  await schema?.drop();
  await upstream?.close();
  if (outdir !== undefined) rmSync(outdir, { recursive: true, force: true });
});

describe("the gateway Lambda behind an ALB", () => {
  it("answers the ALB health check on /_health/ready once PostgreSQL and Redis answer and the schema is current", async () => {
    const live = await gateway(albEvent("/_health/live"));
    expect(live.statusCode).toBe(200);
    expect(json(live)).toEqual({ status: "alive" });
    const ready = await gateway(albEvent("/_health/ready"));
    expect(ready.statusCode).toBe(200);
    expect(json(ready).status).toBe("ready");
    // The migrate function migrates on Lambda (LITELLM_RUN_DB_MIGRATIONS=false): the schema is checked.
    expect(json(ready).checks).toEqual({ database: "ok", redis: "ok", schema: "ok" });
    expect(logLines.some((line) => line.includes('"gateway ready"'))).toBe(true);
  });

  it("answers a chat completion with OpenAI's JSON, for both ALB header modes", async () => {
    for (const multiValue of [false, true]) {
      const result = await gateway(
        albEvent("/v1/chat/completions", { headers: asMaster, body: chat("gpt"), multiValue }),
      );
      expect(result.statusCode).toBe(200);
      // The answer comes back in the shape the target group sent: multi-value or single.
      expect(result.multiValueHeaders !== undefined).toBe(multiValue);
      expect(headerOf(result, "content-type")).toMatch(/^application\/json/);
      expect(headerOf(result, "x-routeiq-deployment")).toBeDefined();
      const body = json(result);
      expect(body.object).toBe("chat.completion");
      expect(body.choices[0].message.content).toBe("Hello from openai-mock");
      expect(body.usage.total_tokens).toBeGreaterThan(0);
    }
  });

  it("answers stream:true with a whole SSE body ending in [DONE] (ALB cannot stream)", async () => {
    const result = await gateway(
      albEvent("/v1/chat/completions", { headers: asMaster, body: chat("gpt", { stream: true }) }),
    );
    expect(result.statusCode).toBe(200);
    expect(headerOf(result, "content-type")).toMatch(/^text\/event-stream/);
    expect(result.isBase64Encoded).toBe(false);
    const events = bodyOf(result)
      .split("\n\n")
      .filter((event) => event.startsWith("data: "))
      .map((event) => event.slice("data: ".length));
    expect(events.at(-1)).toBe("[DONE]");
    const text = events
      .slice(0, -1)
      .map((data) => JSON.parse(data).choices[0]?.delta?.content ?? "")
      .join("");
    expect(text).toBe("Hello from openai-mock");
  });

  it("routes on the event's path and query alone, never on the Host header", async () => {
    for (const multiValue of [false, true]) {
      const result = await gateway(
        albEvent("/v1/models", { headers: { ...asMaster, host: "alb.example/key/list?" }, multiValue }),
      );
      expect(result.statusCode).toBe(200);
      expect(json(result).object).toBe("list");
      expect(json(result).data.map((model: { id: string }) => model.id)).toContain("gpt");
    }
    const live = await gateway(albEvent("/_health/live", { headers: { host: "alb.example/key/list?" } }));
    expect(json(live)).toEqual({ status: "alive" });
  });

  it("serves a virtual key made through the management API, its spend row in PostgreSQL when the invoke returns", async () => {
    const made = await gateway(albEvent("/key/generate", { headers: asMaster, body: { models: ["gpt"] } }));
    expect(made.statusCode).toBe(200);
    const { key, token } = json(made);
    expect(key).toMatch(/^sk-/);
    const requestId = `lambda-spend-${Date.now()}`;
    const answered = await gateway(
      albEvent("/chat/completions", {
        headers: { authorization: `Bearer ${key}`, "x-request-id": requestId },
        body: chat("gpt"),
        multiValue: true,
      }),
    );
    expect(answered.statusCode).toBe(200);
    expect(headerOf(answered, "x-request-id")).toBe(requestId);
    // No waiting: the invoke wrote its row before returning, as a frozen container never would.
    const { rows } = await sql.query<{ key_hash: string; status: number; total_tokens: number }>(
      "SELECT key_hash, status, total_tokens FROM routeiq_spend_logs WHERE metadata->>'request_id' = $1",
      [requestId],
    );
    expect(rows).toEqual([{ key_hash: token, status: 200, total_tokens: expect.any(Number) }]);
    const denied = await gateway(
      albEvent("/v1/chat/completions", {
        headers: { authorization: "Bearer sk-not-a-key" },
        body: chat("gpt"),
      }),
    );
    expect(denied.statusCode).toBe(401);
    expect(json(denied).error.type).toBeDefined();
  });

  it("applies a key change made through one container to the next invoke of another, not after the cache TTL", async () => {
    // A second container: the same bundle, loaded again as a module of its own.
    const bundle = pathToFileURL(join(outdir, "lambda", "gateway", "index.mjs")).href;
    const other: Handler = (await import(`${bundle}?container=2`)).handler;
    const { key } = json(await gateway(albEvent("/key/generate", { headers: asMaster, body: {} })));
    const use = (handler: Handler) =>
      handler(
        albEvent("/v1/chat/completions", { headers: { authorization: `Bearer ${key}` }, body: chat("gpt") }),
      );
    // Now cached in the other container, for the key cache's 5 s.
    expect((await use(other)).statusCode).toBe(200);
    expect((await gateway(albEvent("/key/block", { headers: asMaster, body: { key } }))).statusCode).toBe(
      200,
    );
    const refused = await use(other);
    expect([refused.statusCode, json(refused).error.code]).toEqual([403, "key_blocked"]);
    expect((await gateway(albEvent("/key/unblock", { headers: asMaster, body: { key } }))).statusCode).toBe(
      200,
    );
    expect((await use(other)).statusCode).toBe(200);
  });

  it("serves a config revision published to PostgreSQL once the poll interval has passed", async () => {
    const models = async () => {
      const result = await gateway(albEvent("/v1/models", { headers: asMaster }));
      return json(result).data.map((model: { id: string }) => model.id);
    };
    expect(await models()).toEqual(["gpt"]);
    // What the scheduled sync function does after fetching and validating the object.
    const lease = await acquireLease(sql, LOCK, "sync-lambda-test", 30);
    if (lease === undefined) throw new Error("lease not acquired");
    const body = configWith("gpt", "gpt-next");
    const published = await publishRevision(sql, lease, {
      etag: '"v2"',
      checksum: await sha256Hex(new TextEncoder().encode(body)),
      body,
    });
    expect(published?.revision).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, POLL_SECONDS * 1000 + 100));
    expect(await models()).toEqual(["gpt", "gpt-next"]);
    const answered = await gateway(
      albEvent("/v1/chat/completions", { headers: asMaster, body: chat("gpt-next") }),
    );
    expect(answered.statusCode).toBe(200);
    const status = json(await gateway(albEvent("/llmrouter/config/sync/status", { headers: asMaster })));
    expect(status).toMatchObject({ enabled: true, running: false, revision: published?.revision });
  });
});

describe("a gateway Lambda started while its database is unreachable", () => {
  it("serves on the config it ships with, readiness degraded, and waits for its spend rows only once", async () => {
    const warnings: Record<string, unknown>[] = [];
    const handler = lambdaGateway({
      env: {
        DATABASE_URL: "postgres://postgres@127.0.0.1:1/test",
        REDIS_URL,
        CONFIG_S3_BUCKET: "routeiq-config",
        LLMROUTER_CONFIG_SYNC_LOCK_NAME: `${LOCK}_down`,
      },
      secrets: () => ({ read: async () => "" }),
      taskRoot: ROOT,
      logger: { ...silentLogger, warn: (message, fields) => void warnings.push({ message, ...fields }) },
    });
    expect((await handler(albEvent("/_health/live"))).statusCode).toBe(200);
    const answered = await handler(
      albEvent("/v1/chat/completions", {
        headers: { authorization: "Bearer sk-routeiq-dev-master-key" },
        body: chat("demo"),
      }),
    );
    expect(answered.statusCode).toBe(200);
    const ready = await handler(albEvent("/_health/ready"));
    expect([ready.statusCode, json(ready).status]).toEqual([200, "degraded"]);
    // The row waits in the container; only the first invoke spent the whole flush budget on it.
    const flushes = warnings.filter(
      (w) => w.message === "spend log rows not written yet; the next invoke retries them",
    );
    expect(flushes.map((w) => [w.count, w.waited_ms])).toEqual([
      [1, 3_000],
      [1, 250],
    ]);
  });
});

describe("a gateway Lambda without a database", () => {
  it("fails every invoke with an error naming DATABASE_URL, trying again each time", async () => {
    const secretsRead: string[] = [];
    const handler = lambdaGateway({
      env: { REDIS_URL },
      secrets: () => ({
        async read(id) {
          secretsRead.push(id);
          return "";
        },
      }),
      taskRoot: ROOT,
      logger: silentLogger,
    });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expect(handler(albEvent("/_health/live"))).rejects.toThrow(
        /^DATABASE_URL is not set \(nor DATABASE_SECRET_ARN\)/,
      );
    }
    expect(secretsRead).toEqual([]);
  });
});
