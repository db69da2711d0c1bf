import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, waitFor } from "../support/replicas";

/**
 * Stored responses belong to the key that created them, every admitted request is charged however
 * the client leaves, and what one key may store is bounded.
 */

type Gateway = Awaited<ReturnType<typeof startGateway>>;

const REPLY = "Seventeen quick words make a reply long enough to count, and every one of them is billed.";

let upstream: OpenAIUpstream;
let gateway: Gateway;
/** Small bounds and the response cache on. */
let bounded: Gateway;

const modelList = (url: string) => [
  {
    model_name: "gpt-native",
    litellm_params: { model: "openai/gpt-real", api_base: `${url}/v1`, api_key: "sk-up" },
    model_info: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
  },
  {
    model_name: "gpt-chat",
    litellm_params: { model: "openai_compatible/gpt-real", api_base: `${url}/v1`, api_key: "sk-up" },
    model_info: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
  },
];

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "stored" });
  upstream.setBehaviour({ reply: REPLY });
  gateway = await startGateway({ model_list: modelList(upstream.url), router_settings: { num_retries: 0 } });
  bounded = await startGateway({
    model_list: modelList(upstream.url),
    router_settings: { num_retries: 0 },
    general_settings: {
      master_key: MASTER_KEY,
      // About 2,000 and 6,000 characters.
      responses_max_conversation_mb: 0.002,
      responses_store_mb_per_key: 0.006,
    },
    litellm_settings: { cache: true },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await bounded?.shutdown();
  await upstream?.close();
});

async function newKey(on: Gateway): Promise<{ key: string; hash: string; client: OpenAI }> {
  const { body } = await admin(on, "/key/generate", {});
  const key = body.key as string;
  return { key, hash: body.token as string, client: clientFor(on, key) };
}

const clientFor = (on: Gateway, key: string) =>
  new OpenAI({ apiKey: key, baseURL: `${on.url}/v1`, maxRetries: 0 });

const failure = (promise: Promise<unknown>) => promise.then(() => undefined).catch((error: unknown) => error);

interface Row {
  status: number;
  prompt_tokens: number;
  completion_tokens: number;
  spend: number;
}

async function onlyRow(on: Gateway, keyHash: string): Promise<Row> {
  const rows = async () =>
    (
      await on.deps.sql.query<Row>(
        "SELECT status, prompt_tokens, completion_tokens, spend FROM routeiq_spend_logs WHERE key_hash = $1",
        [keyHash],
      )
    ).rows;
  await waitFor("the spend-log row", async () => (await rows()).length > 0, 10_000);
  const all = await rows();
  expect(all).toHaveLength(1);
  const row = all[0] as Row;
  return { ...row, spend: Number(row.spend) };
}

describe("a stored response belongs to the key that created it", () => {
  it("answers another key 404 on read, list, delete and continue, as for an id that never existed", async () => {
    const owner = await newKey(gateway);
    const other = await newKey(gateway);
    const master = clientFor(gateway, MASTER_KEY);
    const created = await owner.client.responses.create({ model: "gpt-chat", input: "my secret plan" });

    for (const client of [other.client, master]) {
      const reads = [
        failure(client.responses.retrieve(created.id)),
        failure(client.responses.inputItems.list(created.id)),
        failure(client.responses.delete(created.id)),
      ];
      for (const error of await Promise.all(reads)) expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      const before = upstream.requests.length;
      const continued = await failure(
        client.responses.create({ model: "gpt-chat", previous_response_id: created.id, input: "tell me" }),
      );
      expect(continued).toBeInstanceOf(OpenAI.NotFoundError);
      expect((continued as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("previous_response_id");
      expect(upstream.requests.length).toBe(before);
      // Word for word what an id nobody stored gets: nothing says the response exists.
      const never = created.id.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
      const unknown = await failure(client.responses.retrieve(never));
      const known = await failure(client.responses.retrieve(created.id));
      expect((known as Error).message.replace(created.id, "ID")).toBe(
        (unknown as Error).message.replace(never, "ID"),
      );
    }
    // The attempts changed nothing for its owner.
    expect((await owner.client.responses.retrieve(created.id)).output_text).toBe(REPLY);
  });

  it("keeps the master key's responses from virtual keys too", async () => {
    const master = clientFor(gateway, MASTER_KEY);
    const created = await master.responses.create({ model: "gpt-chat", input: "operator note" });
    const key = await newKey(gateway);
    expect(await failure(key.client.responses.retrieve(created.id))).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await master.responses.retrieve(created.id)).id).toBe(created.id);
  });
});

describe.each(["gpt-native", "gpt-chat"])("charging through %s", (model) => {
  it("charges a stream the client leaves before it completes for what it got, and stores nothing", async () => {
    upstream.setBehaviour({ usageDelayMs: 5_000 });
    try {
      const { client, hash } = await newKey(gateway);
      const controller = new AbortController();
      const stream = await client.responses.create(
        { model, input: "tell me", stream: true },
        { signal: controller.signal },
      );
      let text = "";
      let id = "";
      for await (const event of stream) {
        if (event.type === "response.created") id = event.response.id;
        if (event.type === "response.output_text.delta") text += event.delta;
        if (text === REPLY) break;
      }
      controller.abort();
      expect(text).toBe(REPLY);

      const row = await onlyRow(gateway, hash);
      expect(row.status).toBe(499);
      expect(row.completion_tokens).toBe(countTokens(REPLY));
      expect(row.prompt_tokens).toBeGreaterThanOrEqual(countTokens("tell me"));
      expect(row.spend).toBeCloseTo(row.prompt_tokens * 1e-6 + row.completion_tokens * 2e-6, 12);
      expect(await failure(client.responses.retrieve(id))).toBeInstanceOf(OpenAI.NotFoundError);
    } finally {
      upstream.setBehaviour({ usageDelayMs: 0 });
    }
  });

  it("charges a completed stream the upstream's usage", async () => {
    const { client, hash } = await newKey(gateway);
    const final = await client.responses.stream({ model, input: "tell me" }).finalResponse();
    const row = await onlyRow(gateway, hash);
    expect(row.status).toBe(200);
    expect(row.prompt_tokens).toBe(final.usage?.input_tokens);
    expect(row.completion_tokens).toBe(final.usage?.output_tokens);
    expect(row.spend).toBeGreaterThan(0);
  });
});

describe("bounds on what is stored", () => {
  it("refuses to grow a conversation past responses_max_conversation_mb", async () => {
    const { client } = await newKey(bounded);
    const first = await client.responses.create({ model: "gpt-chat", input: "a".repeat(900) });
    const error = await failure(
      client.responses.create({
        model: "gpt-chat",
        previous_response_id: first.id,
        input: "b".repeat(1_200),
      }),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe("conversation_too_large");
    // A short turn still fits.
    await client.responses.create({ model: "gpt-chat", previous_response_id: first.id, input: "ok?" });
  });

  it("stops a key storing past responses_store_mb_per_key; store: false is still served", async () => {
    const { client } = await newKey(bounded);
    let refused: unknown;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      refused = await failure(
        client.responses.create({ model: "gpt-chat", input: `${i}${"c".repeat(1_500)}` }),
      );
    }
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("response_storage_exceeded");
    const unstored = await client.responses.create({ model: "gpt-chat", input: "x", store: false });
    expect(unstored.output_text).toBe(REPLY);
    // Another key has its own allowance.
    const other = await newKey(bounded);
    await other.client.responses.create({ model: "gpt-chat", input: "mine" });
  });
});

describe("the response cache", () => {
  it("answers a repeated store: false request from the cache, as JSON and as a stream", async () => {
    const { client } = await newKey(bounded);
    const input = `cache me ${Math.random()}`;
    const before = upstream.requests.length;
    const first = await client.responses.create({ model: "gpt-native", input, store: false }).withResponse();
    expect(first.response.headers.get("x-routeiq-cache")).toBe("miss");
    const again = await client.responses.create({ model: "gpt-native", input, store: false }).withResponse();
    expect(again.response.headers.get("x-routeiq-cache")).toBe("hit");
    expect(again.data.output_text).toBe(REPLY);
    // Each answer is its own response to the client, even when the cache served it.
    expect(again.data.id).not.toBe(first.data.id);
    const streamed = await client.responses
      .stream({ model: "gpt-native", input, store: false })
      .finalResponse();
    expect(streamed.output_text).toBe(REPLY);
    expect(upstream.requests.length).toBe(before + 1);
  });

  it("never serves a stored response from the cache", async () => {
    const { client } = await newKey(bounded);
    const input = `store me ${Math.random()}`;
    const before = upstream.requests.length;
    const first = await client.responses.create({ model: "gpt-native", input });
    const second = await client.responses.create({ model: "gpt-native", input });
    expect(second.id).not.toBe(first.id);
    expect(upstream.requests.length).toBe(before + 2);
  });
});
