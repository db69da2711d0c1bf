import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../shared/deps";
import { startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, chat, waitFor } from "../support/replicas";

/**
 * Whatever fails after a request was admitted, its parallel slot and budget reservation are given
 * back at once and it leaves exactly one spend-log row. Each case breaks one stage after admission
 * and then shows the key can make its next request straight away: with `max_parallel_requests: 1`
 * and a budget smaller than one reservation, a single leaked admission would refuse it.
 */

const OUTPUT = 1e-4;
const MAX_TOKENS = 100;
// One request reserves about MAX_TOKENS × OUTPUT (= $0.01); the budget is a bit under that.
const BUDGET = 0.009;

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
const restores: Array<() => void> = [];

/** Replaces one method of one dependency until the test ends. */
function breakOnce<T extends object, K extends keyof T>(target: T, name: K, replacement: T[K]): void {
  const original = target[name];
  Object.defineProperty(target, name, { value: replacement, configurable: true, writable: true });
  restores.push(() =>
    Object.defineProperty(target, name, { value: original, configurable: true, writable: true }),
  );
}

async function newKey(): Promise<{ key: string; hash: string }> {
  const { body } = await admin(gateway, "/key/generate", { max_parallel_requests: 1, max_budget: BUDGET });
  return { key: body.key as string, hash: body.token as string };
}

async function statuses(hash: string): Promise<number[]> {
  const { rows } = await gateway.deps.sql.query<{ status: number }>(
    "SELECT status FROM routeiq_spend_logs WHERE key_hash = $1 ORDER BY started_at",
    [hash],
  );
  return rows.map((r) => r.status);
}

const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
const ask = (key: string) => chat(gateway, key, { model: "gpt", max_tokens: MAX_TOKENS });

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "released" });
  gateway = await startGateway({
    model_list: [
      {
        model_name: "gpt",
        litellm_params: { model: "openai/gpt-real", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
        model_info: { input_cost_per_token: 0, output_cost_per_token: OUTPUT },
      },
    ],
    router_settings: { num_retries: 0 },
    litellm_settings: { cache: true },
  });
});

afterEach(() => {
  for (const restore of restores.splice(0)) restore();
  upstream.setBehaviour({ dropConnection: false, failNext: 0, chunkDelayMs: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

/** The key's next request, after the broken one: admitted and answered. */
async function nextIsAdmitted(key: string, hash: string, failedStatus: number): Promise<void> {
  await waitFor("the failed request's row", async () => (await statuses(hash)).length === 1, 10_000);
  expect(await statuses(hash)).toEqual([failedStatus]);
  const next = await ask(key);
  expect(next.code).toBeUndefined();
  expect(next.status).toBe(200);
}

describe("a failure after admission releases what the request held", () => {
  it("when the response cache lookup throws", async () => {
    const { key, hash } = await newKey();
    const deps: AppDeps = gateway.deps;
    breakOnce(deps.responseCache, "lookup", () => Promise.reject(new TypeError("cache bug")));
    expect((await ask(key)).status).toBe(500);
    for (const restore of restores.splice(0)) restore();
    await nextIsAdmitted(key, hash, 500);
  });

  it("when reading router state throws", async () => {
    const { key, hash } = await newKey();
    breakOnce(gateway.deps.routerState, "stats", () => Promise.reject(new RangeError("state bug")));
    expect((await ask(key)).status).toBe(500);
    for (const restore of restores.splice(0)) restore();
    await nextIsAdmitted(key, hash, 500);
  });

  it("when recording metrics for the answer throws (the answer is still served)", async () => {
    const { key, hash } = await newKey();
    breakOnce(gateway.deps.metrics, "usage", () => {
      throw new Error("metrics bug");
    });
    expect((await ask(key)).status).toBe(200);
    for (const restore of restores.splice(0)) restore();
    await nextIsAdmitted(key, hash, 200);
  });

  it("when recording metrics for a stream's usage throws", async () => {
    const { key, hash } = await newKey();
    breakOnce(gateway.deps.metrics, "usage", () => {
      throw new Error("metrics bug");
    });
    const stream = await client(key).chat.completions.create({
      model: "gpt",
      max_tokens: MAX_TOKENS,
      messages: [{ role: "user", content: "go" }],
      stream: true,
    });
    await (async () => {
      for await (const _chunk of stream);
    })().catch(() => undefined);
    for (const restore of restores.splice(0)) restore();
    await nextIsAdmitted(key, hash, 200);
  });

  it("when the upstream fails", async () => {
    const { key, hash } = await newKey();
    upstream.setBehaviour({ failNext: 1, failStatus: 500 });
    expect((await ask(key)).status).toBe(502);
    await nextIsAdmitted(key, hash, 502);
  });

  it("when the upstream drops the connection", async () => {
    const { key, hash } = await newKey();
    upstream.setBehaviour({ dropConnection: true });
    expect((await ask(key)).status).toBe(502);
    upstream.setBehaviour({ dropConnection: false });
    await nextIsAdmitted(key, hash, 502);
  });

  it("when the client cancels a stream", async () => {
    const { key, hash } = await newKey();
    upstream.setBehaviour({ reply: "one two three four five six seven eight nine ten", chunkDelayMs: 100 });
    const controller = new AbortController();
    const stream = await client(key).chat.completions.create(
      { model: "gpt", max_tokens: MAX_TOKENS, messages: [{ role: "user", content: "go" }], stream: true },
      { signal: controller.signal },
    );
    for await (const _chunk of stream) break;
    controller.abort();
    upstream.setBehaviour({ chunkDelayMs: 0 });
    await nextIsAdmitted(key, hash, 499);
  });

  it("when the request body is refused after authentication", async () => {
    const { key, hash } = await newKey();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", messages: [] }),
    });
    expect(response.status).toBe(400);
    // Refused before admission: no row, nothing held.
    const next = await ask(key);
    expect(next.status).toBe(200);
    await waitFor("the answered request's row", async () => (await statuses(hash)).length === 1, 10_000);
    expect(await statuses(hash)).toEqual([200]);
  });
});
