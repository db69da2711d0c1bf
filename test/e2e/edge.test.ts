import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { syncOnce } from "../../functions/sync/run-once";
import { buildEdge } from "../../infra/bundle-edge.mjs";
import { type EdgeStack, startEdgeStack } from "../../infra/local/edge-local";
import { type LocalS3, startLocalS3 } from "../../infra/local/s3-server";
import { silentLogger } from "../../shared/logging/logger";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { admin, type Gateway, generateKey, REDIS_URL, requireRedis, waitFor } from "../support/replicas";

/**
 * The edge (the built Worker bundle in workerd, through miniflare) side by side with a region
 * gateway on one PostgreSQL schema and one Redis: the edge through Neon's WebSocket protocol and
 * Upstash's REST API, the region over TCP, as deployed.
 */

const BUCKET = "routeiq-edge";
/** `general_settings.user_api_key_cache_ttl`'s default: how long any replica, the edge too, trusts a key it read. */
const KEY_CACHE_TTL_MS = 5_000;
const CONFIG_KEY = "config.yaml";
const INPUT_COST = 0.001;
const OUTPUT_COST = 0.002;
const POLL_SECONDS = 1;
const LONG_REPLY = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");

let upstream: OpenAIUpstream;
/** Refuses the key the gateway sends it (401): a deployment the router cools down at once. */
let locked: OpenAIUpstream;
let s3: LocalS3;
let schema: TestSchema;
let sql: Sql;
let bundleDir: string;
let region: Gateway;
let edge: EdgeStack;
/** The edge as the test helpers address a gateway. */
let edgeGateway: Gateway;
/** What the Worker logged: an error line fails the test that caused it. */
let output = "";

const configWith = (...extra: Record<string, unknown>[]) => ({
  general_settings: { master_key: MASTER_KEY },
  model_list: [
    {
      model_name: "chat",
      litellm_params: { model: "openai/gpt-up", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
    },
    {
      model_name: "priced",
      litellm_params: { model: "mock/priced", mock_response: "a reply of a known length" },
      model_info: { input_cost_per_token: INPUT_COST, output_cost_per_token: OUTPUT_COST },
    },
    {
      model_name: "flaky",
      litellm_params: { model: "openai/gpt-flaky", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
    },
    {
      model_name: "pair",
      litellm_params: { model: "openai/gpt-locked", api_base: `${locked.url}/v1`, api_key: "sk-up" },
    },
    {
      model_name: "pair",
      litellm_params: { model: "mock/pair", mock_response: "from the other deployment" },
    },
    ...extra,
  ],
  router_settings: { num_retries: 0, fallbacks: [{ flaky: ["priced"] }] },
  litellm_settings: { cache: true },
});

/** `npm run sync`'s run, in this process: the S3 object becomes the newest published revision. */
async function publish(config: Record<string, unknown>): Promise<void> {
  await s3.put(CONFIG_KEY, stringify(config));
  const env = {
    DATABASE_URL: schema.url,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: CONFIG_KEY,
    ...s3.clientEnv,
  };
  const { outcome } = await syncOnce(env, { sql, kv: undefined }, silentLogger, "edge-test-sync");
  expect(outcome).toBe("published");
}

interface Answer {
  readonly status: number;
  readonly code: string | undefined;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  readonly body: any;
}

/** One chat completion at `base` as `key`; `fresh` keeps the response cache out of it. */
async function chat(
  base: string,
  key: string,
  body: Record<string, unknown>,
  fresh = false,
): Promise<Answer> {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(fresh ? { "cache-control": "no-cache, no-store" } : {}),
    },
    body: JSON.stringify({ messages: [{ role: "user", content: "hello there" }], ...body }),
  });
  const json = await response.json();
  return { status: response.status, code: json.error?.code, headers: response.headers, body: json };
}

const hashOf = (key: string) => createHash("sha256").update(key).digest("hex");

interface SpendRow {
  readonly status: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
}

async function spendRows(key: string): Promise<SpendRow[]> {
  const { rows } = await sql.query<SpendRow>(
    "SELECT status, prompt_tokens, completion_tokens FROM routeiq_spend_logs WHERE key_hash = $1 ORDER BY started_at",
    [hashOf(key)],
  );
  return rows;
}

beforeAll(async () => {
  await requireRedis();
  // The AWS SDK of the sync run reads the local S3's credentials from the environment.
  upstream = await startOpenAIUpstream({ name: "edge-upstream" });
  locked = await startOpenAIUpstream({ name: "locked", apiKey: "sk-locked" });
  s3 = await startLocalS3(BUCKET);
  for (const [name, value] of Object.entries(s3.clientEnv)) vi.stubEnv(name, value);
  schema = await createTestSchema("edge");
  sql = pgSql({ connectionString: schema.url });
  bundleDir = await mkdtemp(join(tmpdir(), "routeiq-edge-"));
  const [gateway] = await Promise.all([
    // The region migrates the schema; the edge never does.
    startGateway(configWith(), { DATABASE_URL: schema.url, REDIS_URL }),
    buildEdge(bundleDir),
  ]);
  region = gateway;
  await publish(configWith());
  edge = await startEdgeStack({
    databaseUrl: schema.url,
    redisUrl: REDIS_URL,
    bundleDir,
    bindings: {
      LITELLM_MASTER_KEY: MASTER_KEY,
      ROUTEIQ_REGION_URL: region.url,
      ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: String(POLL_SECONDS),
    },
    onOutput: (text) => {
      output += text;
    },
  });
  edgeGateway = { ...region, url: edge.url };
}, 60_000);

afterAll(async () => {
  await edge?.close();
  await region?.shutdown();
  await sql?.close();
  await schema?.drop();
  await s3?.close();
  await upstream?.close();
  await locked?.close();
  if (bundleDir !== undefined) await rm(bundleDir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

afterEach(() => {
  const errors = output.split("\n").filter((line) => line.includes('"level":"error"'));
  output = "";
  expect(errors).toEqual([]);
});

describe("the edge beside the region", () => {
  it("serves a key made in the region at once, JSON and streamed, in both wire formats, and logs each request without further traffic", async () => {
    const key = await generateKey(region);
    const openai = new OpenAI({ apiKey: key, baseURL: `${edge.url}/v1`, maxRetries: 0 });
    const json = await openai.chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(json.choices[0]?.message.content).toBe("Hello from edge-upstream");
    let streamed = "";
    for await (const chunk of await openai.chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "stream it" }],
      stream: true,
    })) {
      streamed += chunk.choices[0]?.delta.content ?? "";
    }
    expect(streamed).toBe("Hello from edge-upstream");

    const anthropic = new Anthropic({ apiKey: key, baseURL: edge.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "chat",
      max_tokens: 100,
      messages: [{ role: "user", content: "in messages format" }],
    });
    expect(message.content.map((block) => (block.type === "text" ? block.text : block.type))).toEqual([
      "Hello from edge-upstream",
    ]);
    const text = await anthropic.messages
      .stream({ model: "chat", max_tokens: 100, messages: [{ role: "user", content: "messages, streamed" }] })
      .finalText();
    expect(text).toBe("Hello from edge-upstream");

    // Written under waitUntil after each answer: no later request or timer is needed.
    await waitFor("four spend rows", async () => (await spendRows(key)).length === 4, 5_000);
    expect((await spendRows(key)).map((row) => row.status)).toEqual([200, 200, 200, 200]);
  });

  it("serves the Responses API on the shared state: a conversation goes on across the halves, its key's only", async () => {
    const key = await generateKey(region);
    const at = (base: string, apiKey = key) => new OpenAI({ apiKey, baseURL: `${base}/v1`, maxRetries: 0 });
    const first = await at(edge.url).responses.create({ model: "chat", input: "My name is Ada." });
    expect(first.output_text).toBe("Hello from edge-upstream");
    const second = await at(region.url).responses.create({
      model: "chat",
      previous_response_id: first.id,
      input: "Remember it.",
    });
    // Streamed at the edge, and stored there before the SDK hears it completed.
    const third = await at(edge.url)
      .responses.stream({ model: "chat", previous_response_id: second.id, input: "What is my name?" })
      .finalResponse();
    expect(third.output_text).toBe("Hello from edge-upstream");
    const sent = upstream.requests.at(-1);
    expect(sent?.path).toBe("/v1/responses");
    expect(JSON.stringify(sent?.body.input)).toMatch(/My name is Ada\..*Remember it\..*What is my name\?/);
    expect((await at(region.url).responses.retrieve(third.id)).previous_response_id).toBe(second.id);
    const stranger = at(edge.url, await generateKey(region));
    await expect(stranger.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await waitFor("three spend rows", async () => (await spendRows(key)).length === 3, 5_000);
  });

  it("keeps a key to its models, and falls back when a deployment fails, as the region does", async () => {
    const key = await generateKey(region, { models: ["priced", "flaky"] });
    const refused = await chat(edge.url, key, { model: "chat" });
    expect([refused.status, refused.code]).toEqual([403, "model_not_allowed"]);
    const calls = upstream.requests.length;
    upstream.setBehaviour({ failNext: 1, failStatus: 500 });
    const answer = await chat(edge.url, key, { model: "flaky" }, true);
    expect(answer.status).toBe(200);
    expect(answer.body.choices[0].message.content).toBe("a reply of a known length");
    expect(upstream.requests.length).toBe(calls + 1);
  });

  it("cools down at the edge a deployment the region then skips: one router state for both halves", async () => {
    const lockedCalls = locked.requests.length;
    let refused = 0;
    // The group's two deployments are chosen at random: ask until the edge has met the locked one.
    for (let i = 0; i < 30 && refused === 0; i++) {
      if ((await chat(edge.url, MASTER_KEY, { model: "pair" }, true)).status !== 200) refused += 1;
    }
    expect(refused).toBe(1);
    expect(locked.requests.length).toBe(lockedCalls + 1);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => chat(region.url, MASTER_KEY, { model: "pair" }, true)),
    );
    expect(answers.map((a) => a.body.choices?.[0]?.message.content)).toEqual(
      Array(6).fill("from the other deployment"),
    );
    expect(locked.requests.length).toBe(lockedCalls + 1);
  });

  it("counts one rpm limit across edge and region", async () => {
    const key = await generateKey(region, { rpm_limit: 4 });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const answer = await chat(i % 2 === 0 ? edge.url : region.url, key, { model: "priced" });
      statuses.push(answer.status);
      if (answer.status !== 200) expect(answer.code).toBe("rpm_limit_exceeded");
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
  });

  it("spends one budget across edge and region, and both halves' spend reaches Postgres", async () => {
    const probe = await chat(edge.url, await generateKey(region), { model: "priced" }, true);
    const usage = probe.body.usage as { prompt_tokens: number; completion_tokens: number };
    const cost = usage.prompt_tokens * INPUT_COST + usage.completion_tokens * OUTPUT_COST;
    const key = await generateKey(region, { max_budget: 2.5 * cost });
    const statuses: number[] = [];
    for (const base of [edge.url, region.url, edge.url, region.url, edge.url]) {
      // Sequential: each is admitted while the spend so far is under the budget.
      const answer = await chat(base, key, { model: "priced", max_tokens: usage.completion_tokens }, true);
      statuses.push(answer.status);
      if (answer.status !== 200) expect(answer.code).toBe("budget_exceeded");
    }
    expect(statuses).toEqual([200, 200, 200, 403, 403]);
    const spendOf = async () => (await admin(region, `/key/info?key=${key}`)).body.info.spend as number;
    await waitFor("spend written", async () => Math.abs((await spendOf()) - 3 * cost) < 1e-9, 5_000);
  });

  it("answers from the cache at the edge what the region cached", async () => {
    const key = await generateKey(region);
    const body = { model: "chat", messages: [{ role: "user", content: `cache me ${crypto.randomUUID()}` }] };
    const first = await chat(region.url, key, body);
    expect(first.headers.get("x-routeiq-cache")).toBe("miss");
    const calls = upstream.requests.length;
    let hit: Answer | undefined;
    // The region stores its answer just after sending it.
    await waitFor(
      "a hit at the edge",
      async () => {
        hit = await chat(edge.url, key, body);
        return hit.headers.get("x-routeiq-cache") === "hit";
      },
      2_000,
    );
    expect(hit?.body.choices).toEqual(first.body.choices);
    expect(upstream.requests.length).toBe(calls);
  });

  it("serves a revision the sync worker published within its poll interval", async () => {
    const before = await fetch(`${edge.url}/v1/models`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    expect(((await before.json()).data as { id: string }[]).map((m) => m.id)).not.toContain("added");
    await publish(
      configWith({
        model_name: "added",
        litellm_params: { model: "mock/added", mock_response: "new model" },
      }),
    );
    const took = await waitFor(
      "the new revision at the edge",
      async () => (await chat(edge.url, MASTER_KEY, { model: "added" })).status === 200,
      POLL_SECONDS * 1000 + 2_000,
    );
    expect(took).toBeLessThanOrEqual(POLL_SECONDS * 1000 + 2_000);
  });

  it("refuses a key deleted in the region within the key cache's bound", async () => {
    const key = await generateKey(region);
    expect((await chat(edge.url, key, { model: "priced" })).status).toBe(200);
    expect((await admin(region, "/key/delete", { keys: [key] })).status).toBe(200);
    const took = await waitFor(
      "the deleted key refused at the edge",
      async () => (await chat(edge.url, key, { model: "priced" })).status === 401,
      KEY_CACHE_TTL_MS + 2_000,
      100,
    );
    expect(took).toBeLessThanOrEqual(KEY_CACHE_TTL_MS + 2_000);
  });

  it("cancels the upstream when a client leaves mid-stream, logs it as 499 and frees the key's slot", async () => {
    const key = await generateKey(region, { max_parallel_requests: 1 });
    upstream.setBehaviour({ reply: LONG_REPLY, chunkDelayMs: 50 });
    try {
      const aborted = upstream.abortedStreams;
      const controller = new AbortController();
      const response = await fetch(`${edge.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "talk" }] }),
        signal: controller.signal,
      });
      const reader = response.body?.getReader();
      if (reader === undefined) throw new Error("no body");
      let seen = "";
      while (!seen.includes("word2")) seen += new TextDecoder().decode((await reader.read()).value);
      controller.abort();
      await waitFor("the upstream stream cancelled", async () => upstream.abortedStreams > aborted, 2_000);
      await waitFor(
        "the 499 logged",
        async () => (await spendRows(key)).some((r) => r.status === 499),
        5_000,
      );
      upstream.setBehaviour({ reply: "short", chunkDelayMs: 0 });
      // The one parallel slot is free again, for the region as for the edge.
      expect((await chat(region.url, key, { model: "chat" }, true)).status).toBe(200);
    } finally {
      upstream.setBehaviour({ reply: "Hello from edge-upstream", chunkDelayMs: 0 });
    }
  });

  it("forwards the management API to the region, and refuses /metrics naming the region's", async () => {
    const key = await generateKey(edgeGateway);
    expect((await chat(region.url, key, { model: "priced" })).status).toBe(200);
    const metrics = await fetch(`${edge.url}/metrics`);
    expect(metrics.status).toBe(404);
    expect((await metrics.json()).error.message).toContain(`${region.url}/metrics`);
  });
});
