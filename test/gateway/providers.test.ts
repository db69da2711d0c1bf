import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

const MOCK_REPLY = "The mock says hello in exactly eight words.";

let claude: AnthropicUpstream;
let azure: OpenAIUpstream;
let compatible: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: OpenAI;

beforeAll(async () => {
  claude = await startAnthropicUpstream({ name: "claude-up" });
  azure = await startOpenAIUpstream({ name: "azure-up", apiKey: "azure-secret" });
  compatible = await startOpenAIUpstream({ name: "compatible-up" });
  gateway = await startGateway(
    {
      model_list: [
        {
          model_name: "claude",
          // api_base with the /v1 suffix, as many configs spell it.
          litellm_params: {
            model: "anthropic/claude-real",
            api_base: `${claude.url}/v1`,
            api_key: "sk-ant-up",
          },
        },
        {
          model_name: "azure-chat",
          litellm_params: {
            model: "azure/gpt4o-prod",
            api_base: azure.url,
            api_key: "azure-secret",
            api_version: "2024-10-21",
          },
        },
        {
          model_name: "azure-embed",
          litellm_params: {
            model: "azure/embed-prod",
            api_base: azure.url,
            api_key: "azure-secret",
            api_version: "2024-10-21",
          },
        },
        // No api_key: the key comes from GROQ_API_KEY, as in LiteLLM.
        {
          model_name: "groq-llama",
          litellm_params: { model: "groq/llama-3", api_base: `${compatible.url}/v1` },
        },
        {
          model_name: "vllm",
          litellm_params: {
            model: "hosted_vllm/meta-llama/Llama-3.1-8B-Instruct",
            api_base: `${compatible.url}/v1`,
            api_key: "sk-vllm",
          },
        },
        { model_name: "mock-chat", litellm_params: { model: "mock/echo", mock_response: MOCK_REPLY } },
        { model_name: "mock-embed", litellm_params: { model: "mock/embed" } },
        {
          model_name: "mock-flaky",
          litellm_params: { model: "mock/flaky", mock_failure_rate: 0.5, mock_failure_status: 429 },
        },
        {
          model_name: "mock-slow",
          litellm_params: { model: "mock/slow", mock_response: "finally", mock_latency_ms: 400 },
        },
      ],
      router_settings: { num_retries: 0 },
    },
    { GROQ_API_KEY: "sk-groq-from-env" },
  );
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
  await claude?.close();
  await azure?.close();
  await compatible?.close();
});

const weatherTool: OpenAI.ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("anthropic/ deployment through the openai client", () => {
  it("answers a chat, calling the upstream with its own headers and a translated body", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: "claude",
        max_tokens: 123,
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "hello" },
        ],
      })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.choices[0]?.message).toMatchObject({ role: "assistant", content: "Hello from claude-up" });
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage?.completion_tokens).toBe(3);
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + 3);
    expect(response.headers.get("x-routeiq-deployment")).toBe("anthropic/claude-real");

    const forwarded = claude.requests.at(-1);
    expect(forwarded?.path).toBe("/v1/messages");
    expect(forwarded?.headers["x-api-key"]).toBe("sk-ant-up");
    expect(forwarded?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(forwarded?.headers.authorization).toBeUndefined();
    expect(forwarded?.body).toMatchObject({
      model: "claude-real",
      system: "You are terse.",
      max_tokens: 123,
      messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
    });
  });

  it("sends the max_tokens Anthropic requires even when the client gives none", async () => {
    await client.chat.completions.create({ model: "claude", messages: [{ role: "user", content: "hi" }] });
    const body = claude.requests.at(-1)?.body;
    expect(body.max_tokens).toBeGreaterThan(0);
    expect(body.system).toBeUndefined();
  });

  it("streams a chat, with usage when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) pieces.push(content);
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe("Hello from claude-up");
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(3);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    expect(claude.requests.at(-1)?.body.stream).toBe(true);

    const plain = await client.chat.completions.create({
      model: "claude",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
    });
    let text = "";
    let sawUsage = false;
    for await (const chunk of plain) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe("Hello from claude-up");
    expect(sawUsage).toBe(false);
  });

  it("passes tools and answers with tool calls, plain and streaming", async () => {
    claude.setBehaviour({ toolUse: { name: "get_weather", input: { city: "Paris" } } });
    try {
      const completion = await client.chat.completions.create({
        model: "claude",
        messages: [{ role: "user", content: "weather in Paris?" }],
        tools: [weatherTool],
        tool_choice: "required",
      });
      expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
      const call = completion.choices[0]?.message.tool_calls?.[0];
      expect(call?.type).toBe("function");
      if (call?.type !== "function") throw new Error("expected a function call");
      expect(call.function.name).toBe("get_weather");
      expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
      expect(call.id).toMatch(/^toolu_/);
      const body = claude.requests.at(-1)?.body;
      expect(body.tools).toEqual([
        {
          name: "get_weather",
          description: "Current weather for a city",
          input_schema: weatherTool.function.parameters,
        },
      ]);
      expect(body.tool_choice).toEqual({ type: "any" });

      const stream = await client.chat.completions.create({
        model: "claude",
        messages: [{ role: "user", content: "weather in Paris?" }],
        tools: [weatherTool],
        stream: true,
      });
      let name = "";
      let args = "";
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta.tool_calls?.[0];
        name += delta?.function?.name ?? "";
        args += delta?.function?.arguments ?? "";
        finish ??= chunk.choices[0]?.finish_reason;
      }
      expect(name).toBe("get_weather");
      expect(JSON.parse(args)).toEqual({ city: "Paris" });
      expect(finish).toBe("tool_calls");
    } finally {
      claude.setBehaviour({ toolUse: undefined });
    }
  });

  it("sends a tool result back as a tool_result block for the call's id", async () => {
    await client.chat.completions.create({
      model: "claude",
      messages: [
        { role: "user", content: "weather in Paris?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "toolu_abc",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            },
          ],
        },
        { role: "tool", tool_call_id: "toolu_abc", content: "18°C" },
      ],
      tools: [weatherTool],
    });
    expect(claude.requests.at(-1)?.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "weather in Paris?" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_abc", name: "get_weather", input: { city: "Paris" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_abc", content: "18°C" }] },
    ]);
  });
});

describe("azure/ deployment", () => {
  it("calls /openai/deployments/<name>/chat/completions with api-version and the api-key header", async () => {
    const completion = await client.chat.completions.create({
      model: "azure-chat",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from azure-up");
    const forwarded = azure.requests.at(-1);
    expect(forwarded?.path).toBe("/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21");
    expect(forwarded?.headers["api-key"]).toBe("azure-secret");
    expect(forwarded?.headers.authorization).toBeUndefined();
  });

  it("streams through azure", async () => {
    const stream = await client.chat.completions.create({
      model: "azure-chat",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello from azure-up");
    expect(azure.requests.at(-1)?.path).toBe(
      "/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21",
    );
  });

  it("serves embeddings from the deployment's /embeddings", async () => {
    const result = await client.embeddings.create({ model: "azure-embed", input: ["a", "b"] });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [0.5, 0.25, 0.125],
      [0.5, 0.25, 0.125],
    ]);
    const forwarded = azure.requests.at(-1);
    expect(forwarded?.path).toBe("/openai/deployments/embed-prod/embeddings?api-version=2024-10-21");
    expect(forwarded?.headers["api-key"]).toBe("azure-secret");
    expect(forwarded?.body.input).toEqual(["a", "b"]);
    expect(forwarded?.body.encoding_format).toBe("base64");
  });
});

describe("OpenAI-compatible host aliases", () => {
  it("groq/ uses api_base, the upstream model name and GROQ_API_KEY from the environment", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "groq-llama", messages: [{ role: "user", content: "hello" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Hello from compatible-up");
    expect(response.headers.get("x-routeiq-deployment")).toBe("groq/llama-3");
    const forwarded = compatible.requests.at(-1);
    expect(forwarded?.path).toBe("/v1/chat/completions");
    expect(forwarded?.body.model).toBe("llama-3");
    expect(forwarded?.headers.authorization).toBe("Bearer sk-groq-from-env");
  });

  it("hosted_vllm/ keeps the slashes of the upstream model name", async () => {
    const stream = await client.chat.completions.create({
      model: "vllm",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello from compatible-up");
    const forwarded = compatible.requests.at(-1);
    expect(forwarded?.body.model).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(forwarded?.headers.authorization).toBe("Bearer sk-vllm");
  });
});

describe("mock/ provider", () => {
  it("answers with mock_response, the same every time", async () => {
    const ask = () =>
      client.chat.completions.create({ model: "mock-chat", messages: [{ role: "user", content: "hi" }] });
    const [first, second] = await Promise.all([ask(), ask()]);
    expect(first.choices[0]?.message.content).toBe(MOCK_REPLY);
    expect(second.choices[0]?.message.content).toBe(MOCK_REPLY);
    expect(first.choices[0]?.finish_reason).toBe("stop");
    expect(first.usage?.completion_tokens).toBeGreaterThan(0);
    expect(first.usage).toEqual(second.usage);
  });

  it("streams mock_response word by word, with usage when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "mock-chat",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const content = chunk.choices[0]?.delta.content;
      if (content) pieces.push(content);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toHaveLength(MOCK_REPLY.split(" ").length);
    expect(pieces.join("")).toBe(MOCK_REPLY);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("embeds deterministically: the SDK's default base64 decodes to unit vectors of length 8", async () => {
    const first = await client.embeddings.create({ model: "mock-embed", input: ["alpha", "beta"] });
    const again = await client.embeddings.create({ model: "mock-embed", input: "alpha" });
    expect(first.data).toHaveLength(2);
    const [alpha, beta] = first.data.map((d) => d.embedding);
    for (const vector of [alpha, beta]) {
      expect(vector).toHaveLength(8);
      expect(Math.hypot(...(vector ?? []))).toBeCloseTo(1, 5);
    }
    expect(again.data[0]?.embedding).toEqual(alpha);
    expect(beta).not.toEqual(alpha);

    const floats = await client.embeddings.create({
      model: "mock-embed",
      input: "alpha",
      encoding_format: "float",
    });
    const asFloats = floats.data[0]?.embedding ?? [];
    expect(asFloats).toHaveLength(8);
    asFloats.forEach((value, i) => {
      expect(value).toBeCloseTo(alpha?.[i] ?? Number.NaN, 6);
    });
  });

  it.each([
    [100_000_000, "dimensions: Too big"],
    [5_000, "dimensions: expected a whole number from 1 to 4096"],
  ])(
    "refuses dimensions it would have to allocate without bound (%i): a 400 naming the field",
    async (dimensions, message) => {
      const error = await client.embeddings
        .create({ model: "mock-embed", input: "alpha", dimensions, encoding_format: "float" })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as Error).message).toContain(message);
    },
  );

  it("mock_failure_rate 0.5 fails exactly every 2nd request with mock_failure_status", async () => {
    const outcomes: Array<number | "ok"> = [];
    for (let i = 0; i < 6; i++) {
      const outcome = await client.chat.completions
        .create({ model: "mock-flaky", messages: [{ role: "user", content: "hi" }] })
        .then(
          () => "ok" as const,
          (error: unknown) => (error instanceof OpenAI.APIError ? (error.status ?? -1) : -1),
        );
      outcomes.push(outcome);
    }
    expect(outcomes).toEqual(["ok", 429, "ok", 429, "ok", 429]);
  });

  it("mock_latency_ms delays the answer", async () => {
    const fastStarted = performance.now();
    await client.chat.completions.create({ model: "mock-chat", messages: [{ role: "user", content: "hi" }] });
    const fastMs = performance.now() - fastStarted;

    const slowStarted = performance.now();
    const slow = await client.chat.completions.create({
      model: "mock-slow",
      messages: [{ role: "user", content: "hi" }],
    });
    const slowMs = performance.now() - slowStarted;
    expect(slow.choices[0]?.message.content).toBe("finally");
    expect(slowMs).toBeGreaterThanOrEqual(390);
    expect(fastMs).toBeLessThan(390);
  });
});
