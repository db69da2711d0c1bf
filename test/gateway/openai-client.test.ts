import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "upstream-a", apiKey: "sk-upstream" });
  gateway = await startGateway({
    model_list: [
      {
        model_name: "gpt-test",
        litellm_params: { model: "openai/gpt-real", api_base: `${upstream.url}/v1`, api_key: "sk-upstream" },
      },
      {
        model_name: "embed",
        litellm_params: {
          model: "openai/text-embedding-real",
          api_base: `${upstream.url}/v1`,
          api_key: "sk-upstream",
        },
      },
    ],
  });
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

describe("OpenAI client through the gateway", () => {
  it("answers a chat completion and sends the upstream model name with the upstream key", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "gpt-test", messages: [{ role: "user", content: "hello" }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe("Hello from upstream-a");
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-routeiq-deployment")).toBe("openai/gpt-real");
    expect(response.headers.get("x-routeiq-attempts")).toBe("1");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const forwarded = upstream.requests.at(-1);
    expect(forwarded?.path).toBe("/v1/chat/completions");
    expect(forwarded?.body.model).toBe("gpt-real");
    expect(forwarded?.headers.authorization).toBe("Bearer sk-upstream");
  });

  it("echoes the client's x-request-id", async () => {
    const { response } = await client.chat.completions
      .create(
        { model: "gpt-test", messages: [{ role: "user", content: "hi" }] },
        { headers: { "x-request-id": "trace-123" } },
      )
      .withResponse();
    expect(response.headers.get("x-request-id")).toBe("trace-123");
  });

  it("streams a chat completion, with usage only when the client asks for it", async () => {
    const plain = await client.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
    });
    let text = "";
    let sawUsage = false;
    for await (const chunk of plain) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe("Hello from upstream-a");
    expect(sawUsage).toBe(false);
    // The gateway always asks upstream for usage, to count tokens.
    expect(upstream.requests.at(-1)?.body.stream_options).toEqual({ include_usage: true });

    const withUsage = await client.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of withUsage) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("passes tools through and returns tool calls", async () => {
    upstream.setBehaviour({ toolCall: { name: "get_weather", arguments: '{"city":"Paris"}' } });
    try {
      const completion = await client.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "weather in Paris?" }],
        tools: [
          {
            type: "function",
            function: {
              name: "get_weather",
              parameters: { type: "object", properties: { city: { type: "string" } } },
            },
          },
        ],
        tool_choice: "auto",
      });
      expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
      const call = completion.choices[0]?.message.tool_calls?.[0];
      expect(call?.type === "function" && call.function.name).toBe("get_weather");
      expect(upstream.requests.at(-1)?.body.tools[0].function.name).toBe("get_weather");

      const stream = await client.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "weather in Paris?" }],
        tools: [{ type: "function", function: { name: "get_weather" } }],
        stream: true,
      });
      let args = "";
      for await (const chunk of stream)
        args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "";
      expect(JSON.parse(args)).toEqual({ city: "Paris" });
    } finally {
      upstream.setBehaviour({ toolCall: undefined });
    }
  });

  it("serves text completions, plain and streaming", async () => {
    const completion = await client.completions.create({ model: "gpt-test", prompt: "Say hi" });
    expect(completion.choices[0]?.text).toBe("Hello from upstream-a");
    expect(upstream.requests.at(-1)?.path).toBe("/v1/completions");
    const stream = await client.completions.create({ model: "gpt-test", prompt: "Say hi", stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe("Hello from upstream-a");
  });

  it("serves embeddings", async () => {
    const result = await client.embeddings.create({ model: "embed", input: ["a", "b"] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toEqual([0.5, 0.25, 0.125]);
    expect(upstream.requests.at(-1)?.body.model).toBe("text-embedding-real");
  });

  it("lists the configured model groups", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["gpt-test", "embed"]);
  });

  it("serves the same routes without the /v1 prefix", async () => {
    const bare = new OpenAI({ apiKey: MASTER_KEY, baseURL: gateway.url, maxRetries: 0 });
    const completion = await bare.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from upstream-a");
    expect((await bare.models.list()).data).toHaveLength(2);
  });
});

describe("errors in the OpenAI shape", () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json", ...headers },
      body,
    });

  it("401 for a wrong or missing key", async () => {
    const wrong = new OpenAI({ apiKey: "sk-wrong", baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
    const missing = await fetch(`${gateway.url}/v1/models`);
    expect(missing.status).toBe(401);
    const body = await missing.json();
    expect(body.error).toMatchObject({ type: "authentication_error", param: null, code: "invalid_api_key" });
    expect(body.error.message).toContain("Authorization: Bearer");
  });

  it("404 for an unknown model, listing what exists", async () => {
    const error = await client.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toContain(
      "available models: gpt-test, embed",
    );
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("400 for malformed JSON", async () => {
    const response = await post("/v1/chat/completions", "{not json");
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error.code).toBe("invalid_json");
    expect(body.error.message).toContain("not valid JSON");
  });

  it("400 naming the field that violates the schema", async () => {
    const cases: Array<[unknown, string]> = [
      [{ model: "gpt-test" }, "messages"],
      [{ model: "gpt-test", messages: [] }, "messages"],
      [{ model: "gpt-test", messages: [{ role: "wizard", content: "hi" }] }, "messages[0].role"],
      [{ model: "gpt-test", messages: [{ role: "user", content: "hi" }], temperature: 5 }, "temperature"],
      [{ messages: [{ role: "user", content: "hi" }] }, "model"],
    ];
    for (const [body, param] of cases) {
      const response = await post("/v1/chat/completions", JSON.stringify(body));
      expect(response.status).toBe(400);
      const error = (await response.json()).error;
      expect(error.param).toBe(param);
      expect(error.type).toBe("invalid_request_error");
      expect(error.message).toContain(param);
    }
  });

  it("413 for a body over the configured limit", async () => {
    const huge = JSON.stringify({
      model: "gpt-test",
      messages: [{ role: "user", content: "x".repeat(11 * 1024 * 1024) }],
    });
    const response = await post("/v1/chat/completions", huge);
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe("request_too_large");
  });

  it("404 in the same shape for an unknown route", async () => {
    const response = await fetch(`${gateway.url}/v2/unknown`);
    expect(response.status).toBe(404);
    expect((await response.json()).error.type).toBe("not_found_error");
  });
});
