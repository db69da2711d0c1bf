import { Redis } from "ioredis";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { MASTER_KEY } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { generateKey, REDIS_URL, type Replicas, startReplicas } from "../support/replicas";

/**
 * Two replicas on one Redis and one PostgreSQL: a conversation started on one continues on the
 * other, whichever provider serves each turn, and stays its creator's.
 */

let openai: OpenAIUpstream;
let claude: AnthropicUpstream;
let replicas: Replicas;
let redis: Redis;
/** ROUTEIQ_REDIS_PREFIX's default, which the replicas run with. */
const PREFIX = "routeiq";

beforeAll(async () => {
  openai = await startOpenAIUpstream({ name: "openai-up" });
  claude = await startAnthropicUpstream({ name: "claude-up" });
  const config = {
    model_list: [
      {
        model_name: "gpt",
        litellm_params: { model: "openai/gpt-real", api_base: `${openai.url}/v1`, api_key: "sk-up" },
      },
      {
        model_name: "claude",
        litellm_params: { model: "anthropic/claude-real", api_base: claude.url, api_key: "sk-ant" },
      },
    ],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER_KEY, responses_store_ttl: 3_600 },
  };
  replicas = await startReplicas([config, config]);
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  await replicas?.shutdown();
  await openai?.close();
  await claude?.close();
  redis?.disconnect();
});

const clientOf = (index: number, key = MASTER_KEY) =>
  new OpenAI({ apiKey: key, baseURL: `${replicas.gateways[index]?.url}/v1`, maxRetries: 0 });

describe("previous_response_id across replicas", () => {
  it("continues on replica B a conversation replica A stored, across providers, then forgets it on delete", async () => {
    const a = clientOf(0);
    const b = clientOf(1);
    const first = await a.responses.create({ model: "gpt", input: "My name is Ada." });
    const second = await b.responses.create({
      model: "claude",
      previous_response_id: first.id,
      input: "What is my name?",
    });
    expect(second.output_text).toBe("Hello from claude-up");
    expect(claude.requests.at(-1)?.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "My name is Ada." }] },
      { role: "assistant", content: [{ type: "text", text: "Hello from openai-up" }] },
      { role: "user", content: [{ type: "text", text: "What is my name?" }] },
    ]);

    // Back on A, through OpenAI: both earlier turns, spelled out for an upstream that keeps no state.
    await a.responses.create({ model: "gpt", previous_response_id: second.id, input: "Thanks." });
    const sent = openai.requests.at(-1)?.body;
    expect(sent.store).toBe(false);
    expect(sent.input.map((item: { role: string }) => item.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
    ]);

    expect((await b.responses.retrieve(first.id)).output_text).toBe("Hello from openai-up");
    const items = await b.responses.inputItems.list(first.id);
    expect(items.data).toMatchObject([{ type: "message", role: "user" }]);
    await a.responses.delete(first.id);
    await expect(b.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("keeps each key's responses to itself on every replica", async () => {
    const gateway = replicas.gateways[0];
    if (gateway === undefined) throw new Error("no replica");
    const owner = await generateKey(gateway);
    const other = await generateKey(gateway);
    const created = await clientOf(0, owner).responses.create({ model: "gpt", input: "private" });
    await expect(clientOf(1, other).responses.retrieve(created.id)).rejects.toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    expect((await clientOf(1, owner).responses.retrieve(created.id)).id).toBe(created.id);
  });

  it("keeps each response in Redis under the deployment's prefix, with the configured TTL", async () => {
    const created = await clientOf(0).responses.create({ model: "gpt", input: "where am I kept?" });
    const key = `{${PREFIX}:responses:master}:${created.id}`;
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    // Continuing renews the whole conversation's TTL.
    await redis.pexpire(key, 60_000);
    await clientOf(1).responses.create({ model: "gpt", previous_response_id: created.id, input: "again" });
    expect(await redis.pttl(key)).toBeGreaterThan(3_500_000);
  });
});
