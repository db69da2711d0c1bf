import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { sample } from "../support/metrics";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, type Gateway, generateKey, waitFor } from "../support/replicas";

/**
 * `/v1/responses` under what governs chat completions: a key's models, rpm limit, budget and
 * parallel slot, the metrics, and errors mapped back through translation; and Azure deployments
 * served the Responses API itself.
 */

const OUTPUT_COST = 0.001;
const REPLY = "a reply of a known length";
const LONG_REPLY = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");

let openai: OpenAIUpstream;
let azure: OpenAIUpstream;
let claude: AnthropicUpstream;
let gateway: Gateway;

beforeAll(async () => {
  [openai, azure, claude] = await Promise.all([
    startOpenAIUpstream({ name: "openai-up", apiKey: "sk-up" }),
    startOpenAIUpstream({ name: "azure-up", apiKey: "azure-secret" }),
    startAnthropicUpstream({ name: "claude-up" }),
  ]);
  gateway = await startGateway({
    model_list: [
      {
        model_name: "priced",
        litellm_params: { model: "mock/priced", mock_response: REPLY },
        model_info: { input_cost_per_token: 0, output_cost_per_token: OUTPUT_COST },
      },
      {
        model_name: "gpt-chat",
        litellm_params: {
          model: "openai_compatible/gpt-real",
          api_base: `${openai.url}/v1`,
          api_key: "sk-up",
        },
      },
      {
        model_name: "azure-resp",
        litellm_params: {
          model: "azure/gpt4o-prod",
          api_base: azure.url,
          api_key: "azure-secret",
          api_version: "2024-10-21",
        },
      },
      {
        model_name: "claude",
        litellm_params: { model: "anthropic/claude-real", api_base: claude.url, api_key: "sk-ant" },
      },
    ],
    router_settings: { num_retries: 0 },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await Promise.all([openai?.close(), azure?.close(), claude?.close()]);
});

const clientFor = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined).catch((error: unknown) => error);
const codeOf = (error: unknown) => (error as { code?: string } | undefined)?.code;

describe("azure/ deployments", () => {
  it("are sent the Responses API on Azure's v1 surface, named by the body's model, with the api-key header", async () => {
    const client = clientFor(MASTER_KEY);
    const response = await client.responses.create({ model: "azure-resp", input: "hello azure" });
    expect(response.output_text).toBe("Hello from azure-up");
    expect(response.model).toBe("azure-resp");
    const sent = azure.requests.at(-1);
    // No deployment in the path and no api-version: Azure's v1 Responses API.
    expect(sent?.path).toBe("/openai/v1/responses");
    expect(sent?.headers["api-key"]).toBe("azure-secret");
    expect(sent?.body).toMatchObject({ model: "gpt4o-prod", store: false });
    const streamed = await client.responses
      .stream({ model: "azure-resp", input: "stream it" })
      .finalResponse();
    expect(streamed.output_text).toBe("Hello from azure-up");
    expect(azure.requests.at(-1)?.body.stream).toBe(true);
  });
});

describe("errors through the chat translation", () => {
  it("gives an Anthropic upstream's refusal to the SDK as its error class, and stores nothing", async () => {
    claude.setBehaviour({ failNext: 1, failStatus: 400 });
    const error = await failure(clientFor(MASTER_KEY).responses.create({ model: "claude", input: "x" }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain("claude-up simulated failure");
  });
});

describe("a key's limits on /v1/responses, as on chat completions", () => {
  it("keeps a key to its models, continuing a stored conversation included, before any upstream sees it", async () => {
    const client = clientFor(await generateKey(gateway, { models: ["priced"] }));
    const before = claude.requests.length;
    const refused = await failure(client.responses.create({ model: "claude", input: "x" }));
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(codeOf(refused)).toBe("model_not_allowed");
    const first = await client.responses.create({ model: "priced", input: "mine" });
    const continued = await failure(
      client.responses.create({ model: "claude", previous_response_id: first.id, input: "on claude" }),
    );
    expect(codeOf(continued)).toBe("model_not_allowed");
    expect(claude.requests.length).toBe(before);
  });

  it("does not keep a conversation alive for a key asking it of a model the key may not use", async () => {
    const ttlSeconds = 2;
    const short = await startGateway({
      general_settings: { master_key: MASTER_KEY, responses_store_ttl: ttlSeconds },
      model_list: [
        { model_name: "priced", litellm_params: { model: "mock/priced", mock_response: REPLY } },
        { model_name: "other", litellm_params: { model: "mock/other", mock_response: REPLY } },
      ],
    });
    try {
      const key = await generateKey(short, { models: ["priced"] });
      const client = new OpenAI({ apiKey: key, baseURL: `${short.url}/v1`, maxRetries: 0 });
      const first = await client.responses.create({ model: "priced", input: "mine" });
      const storedAt = Date.now();
      // Each refused continuation would have renewed the conversation had it been read first.
      while (Date.now() - storedAt < ttlSeconds * 1000 + 500) {
        const refused = await failure(
          client.responses.create({ model: "other", previous_response_id: first.id, input: "more" }),
        );
        expect(codeOf(refused)).toBe("model_not_allowed");
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await failure(client.responses.retrieve(first.id))).toBeInstanceOf(OpenAI.NotFoundError);
    } finally {
      await short.shutdown();
    }
  });

  it("counts one rpm limit across /v1/responses and /v1/chat/completions", async () => {
    const client = clientFor(await generateKey(gateway, { rpm_limit: 2 }));
    await client.responses.create({ model: "priced", input: "one" });
    await client.chat.completions.create({ model: "priced", messages: [{ role: "user", content: "two" }] });
    const third = await failure(client.responses.create({ model: "priced", input: "three", store: false }));
    expect(third).toBeInstanceOf(OpenAI.RateLimitError);
    expect(codeOf(third)).toBe("rpm_limit_exceeded");
  });

  it("spends the key's budget, and refuses it once spent", async () => {
    const probe = await clientFor(MASTER_KEY).responses.create({
      model: "priced",
      input: "probe",
      store: false,
    });
    const cost = (probe.usage?.output_tokens ?? 0) * OUTPUT_COST;
    expect(cost).toBeGreaterThan(0);
    // Admitted while the key's spend (and what requests under way reserved) is under it.
    const key = await generateKey(gateway, { max_budget: 0.5 * cost });
    const client = clientFor(key);
    const ask = () => client.responses.create({ model: "priced", input: "spend" });
    expect((await ask()).output_text).toBe(REPLY);
    const refused = await failure(ask());
    expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(codeOf(refused)).toBe("budget_exceeded");
    const spend = async () => (await admin(gateway, `/key/info?key=${key}`)).body.info.spend as number;
    await waitFor("the key's spend written", async () => Math.abs((await spend()) - cost) < 1e-9, 5_000);
  });

  it("frees a key's one parallel slot after a stream the client left, and after an upstream error", async () => {
    const client = clientFor(await generateKey(gateway, { max_parallel_requests: 1 }));
    openai.setBehaviour({ reply: LONG_REPLY, chunkDelayMs: 20 });
    try {
      const controller = new AbortController();
      const stream = await client.responses.create(
        { model: "gpt-chat", input: "talk", stream: true },
        { signal: controller.signal },
      );
      for await (const event of stream) if (event.type === "response.output_text.delta") break;
      controller.abort();
    } finally {
      openai.setBehaviour({ reply: "short", chunkDelayMs: 0 });
    }
    // Released when the gateway sees the client gone, just after the abort.
    await waitFor(
      "the slot freed",
      async () =>
        (await failure(client.responses.create({ model: "gpt-chat", input: "next" }))) === undefined,
      2_000,
    );
    openai.setBehaviour({ failNext: 1, failStatus: 400 });
    expect(await failure(client.responses.create({ model: "gpt-chat", input: "fails" }))).toBeInstanceOf(
      OpenAI.BadRequestError,
    );
    const after = await client.responses.create({ model: "gpt-chat", input: "and again" });
    expect(after.output_text).toBe("short");
    openai.setBehaviour({ reply: "Hello from openai-up" });
  });
});

describe("metrics", () => {
  it("count /v1/responses by route, requested model and status, and the deployment's successes", async () => {
    const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();
    const requests = (text: string) =>
      sample(text, "litellm_proxy_total_requests_metric_total", {
        route: "/v1/responses",
        requested_model: "priced",
        status_code: "200",
      }) ?? 0;
    const successes = (text: string) =>
      sample(text, "litellm_deployment_success_responses_total", { model_group: "priced" }) ?? 0;
    const before = await metrics();
    const client = clientFor(MASTER_KEY);
    await client.responses.create({ model: "priced", input: "count me", store: false });
    await client.responses.stream({ model: "priced", input: "count me too", store: false }).finalResponse();
    const after = await metrics();
    expect(requests(after) - requests(before)).toBe(2);
    expect(successes(after) - successes(before)).toBe(2);
  });
});
