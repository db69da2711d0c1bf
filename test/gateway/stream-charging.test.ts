import Anthropic from "@anthropic-ai/sdk";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, chat, waitFor } from "../support/replicas";

/**
 * A stream the client abandons after the last content chunk, before the usage chunk, has given the
 * client the whole answer: it must be charged for it (spend, tpm and the spend log), counted with a
 * tokenizer, through both wire formats.
 */

const REPLY = "Seventeen quick words make a reply long enough to count, and every one of them is billed.";
const INPUT = 1e-6;
const OUTPUT = 2e-6;

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

interface Row {
  status: number;
  prompt_tokens: number;
  completion_tokens: number;
  spend: number;
}

async function rowsFor(keyHash: string): Promise<Row[]> {
  const { rows } = await gateway.deps.sql.query<Row>(
    "SELECT status, prompt_tokens, completion_tokens, spend FROM routeiq_spend_logs WHERE key_hash = $1",
    [keyHash],
  );
  return rows.map((r) => ({ ...r, spend: Number(r.spend) }));
}

async function newKey(fields: Record<string, unknown>): Promise<{ key: string; hash: string }> {
  const { body } = await admin(gateway, "/key/generate", fields);
  return { key: body.key as string, hash: body.token as string };
}

async function oneRow(keyHash: string): Promise<Row> {
  await waitFor("the spend-log row", async () => (await rowsFor(keyHash)).length > 0, 10_000);
  const rows = await rowsFor(keyHash);
  expect(rows).toHaveLength(1);
  return rows[0] as Row;
}

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "charged" });
  gateway = await startGateway({
    model_list: [
      {
        model_name: "gpt",
        litellm_params: { model: "openai/gpt-real", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
        model_info: { input_cost_per_token: INPUT, output_cost_per_token: OUTPUT },
      },
    ],
    router_settings: { num_retries: 0 },
  });
});

beforeEach(() => {
  // The usage chunk comes long after the content: a client that has what it wants leaves first.
  upstream.setBehaviour({ reply: REPLY, usageDelayMs: 5_000, chunkDelayMs: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

/** Streams a chat completion through the openai SDK and leaves once the answer is complete. */
async function readAnswerThenLeave(key: string, prompt: string): Promise<string> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { model: "gpt", messages: [{ role: "user", content: prompt }], stream: true },
    { signal: controller.signal },
  );
  let text = "";
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    if (chunk.choices[0]?.finish_reason === "stop") break;
  }
  controller.abort();
  return text;
}

describe("a stream the client leaves before the usage chunk", () => {
  it("is charged for the prompt and every token delivered, and the tokens count toward tpm", async () => {
    const { key, hash } = await newKey({ tpm_limit: 20 });
    expect(await readAnswerThenLeave(key, "tell me")).toBe(REPLY);

    const row = await oneRow(hash);
    expect(row.status).toBe(499);
    expect(row.completion_tokens).toBe(countTokens(REPLY));
    expect(row.prompt_tokens).toBeGreaterThanOrEqual(countTokens("tell me"));
    expect(row.spend).toBeCloseTo(row.prompt_tokens * INPUT + row.completion_tokens * OUTPUT, 12);
    // Over 20 tokens were used this minute: the key's next request is refused.
    const next = await chat(gateway, key, { model: "gpt" });
    expect(next.code).toBe("tpm_limit_exceeded");
  });

  it("is charged the same when the prompt holds a tokenizer's special-token text", async () => {
    // "<|endoftext|>" is plain text to an upstream; a tokenizer that refuses it must not make the
    // request free.
    const { key, hash } = await newKey({});
    const prompt = "tell me <|endoftext|><|im_start|>";
    expect(await readAnswerThenLeave(key, prompt)).toBe(REPLY);

    const row = await oneRow(hash);
    expect(row.status).toBe(499);
    expect(row.completion_tokens).toBe(countTokens(REPLY));
    expect(row.prompt_tokens).toBeGreaterThanOrEqual(countTokens("tell me"));
    expect(row.spend).toBeCloseTo(row.prompt_tokens * INPUT + row.completion_tokens * OUTPUT, 12);
  });

  it("is charged the same through POST /v1/messages", async () => {
    const { key, hash } = await newKey({});
    const client = new Anthropic({ apiKey: key, baseURL: gateway.url, maxRetries: 0 });
    const stream = client.messages.stream({
      model: "gpt",
      max_tokens: 200,
      messages: [{ role: "user", content: "tell me" }],
    });
    let text = "";
    for await (const event of stream) {
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
      if (text === REPLY) break;
    }
    stream.abort();
    expect(text).toBe(REPLY);

    const row = await oneRow(hash);
    expect(row.status).toBe(499);
    expect(row.completion_tokens).toBe(countTokens(REPLY));
    expect(row.spend).toBeGreaterThan(0);
  });

  it("is charged what the upstream reports, hidden reasoning included, when the usage follows the answer", async () => {
    // A reasoning model bills tokens it never streams: counting what was delivered would charge
    // 5,000 tokens as a dozen. Once the answer is complete the upstream is not cut off at once:
    // only its usage is still to come, and it is waited for a moment.
    upstream.setBehaviour({ usageDelayMs: 300, completionTokens: () => 5_000 });
    try {
      const { key, hash } = await newKey({});
      expect(await readAnswerThenLeave(key, "think hard")).toBe(REPLY);
      const row = await oneRow(hash);
      expect(row.status).toBe(499);
      expect(row.completion_tokens).toBe(5_000);
      expect(row.spend).toBeCloseTo(row.prompt_tokens * INPUT + 5_000 * OUTPUT, 12);
    } finally {
      upstream.setBehaviour({ completionTokens: undefined });
    }
  });

  it("cuts the upstream off at once when the client leaves mid-answer", async () => {
    upstream.setBehaviour({ chunkDelayMs: 200 });
    const { key, hash } = await newKey({});
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const controller = new AbortController();
    const aborted = upstream.abortedStreams;
    const stream = await client.chat.completions.create(
      { model: "gpt", messages: [{ role: "user", content: "tell me" }], stream: true },
      { signal: controller.signal },
    );
    for await (const _chunk of stream) break;
    controller.abort();
    await waitFor("the upstream stream cut off", async () => upstream.abortedStreams > aborted, 1_000);
    const row = await oneRow(hash);
    expect(row.status).toBe(499);
    expect(row.completion_tokens).toBeLessThan(countTokens(REPLY));
  });

  it("counts with the tokenizer when an upstream never reports usage on a stream it completes", async () => {
    upstream.setBehaviour({ usageDelayMs: 0, omitUsage: true });
    const { key, hash } = await newKey({});
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const before = upstream.requests.length;
    const stream = await client.chat.completions.create({
      model: "gpt",
      messages: [{ role: "user", content: "tell me" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(REPLY);
    // The gateway asked for usage, as it does on every stream.
    expect(upstream.requests[before]?.body.stream_options).toEqual({ include_usage: true });
    const row = await oneRow(hash);
    upstream.setBehaviour({ omitUsage: false });
    expect(row.status).toBe(200);
    expect(row.completion_tokens).toBe(countTokens(REPLY));
    expect(row.spend).toBeGreaterThan(0);
  });
});

describe("a request the client leaves while the upstream has it", () => {
  it("is charged for the prompt the upstream received", async () => {
    upstream.setBehaviour({ delayMs: 1_000 });
    const { key, hash } = await newKey({});
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const prompt = "a prompt the upstream has already read in full";
    const answer = client.chat.completions.create(
      { model: "gpt", messages: [{ role: "user", content: prompt }] },
      { timeout: 300 },
    );
    await expect(answer).rejects.toThrow();
    const row = await oneRow(hash);
    upstream.setBehaviour({ delayMs: 0 });
    expect(row.status).toBe(499);
    expect(row.prompt_tokens).toBeGreaterThanOrEqual(countTokens(prompt));
    expect(row.completion_tokens).toBe(0);
    expect(row.spend).toBeCloseTo(row.prompt_tokens * INPUT, 12);
  });
});

describe("a request for OpenAI's priority tier", () => {
  it("is passed on, and reserved and charged at twice the deployment's price (OpenAI bills priority up to that)", async () => {
    const { key, hash } = await newKey({});
    const answered = await chat(gateway, key, {
      model: "gpt",
      service_tier: "priority",
      messages: [{ role: "user", content: "quickly" }],
    });
    expect(answered.status).toBe(200);
    expect(upstream.requests.at(-1)?.body.service_tier).toBe("priority");
    const row = await oneRow(hash);
    expect(row.spend).toBeCloseTo(2 * (row.prompt_tokens * INPUT + row.completion_tokens * OUTPUT), 12);

    const standard = await newKey({});
    await chat(gateway, standard.key, { model: "gpt", messages: [{ role: "user", content: "quickly" }] });
    const plain = await oneRow(standard.hash);
    expect(plain.spend).toBeCloseTo(plain.prompt_tokens * INPUT + plain.completion_tokens * OUTPUT, 12);
  });
});
