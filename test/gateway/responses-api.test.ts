import OpenAI from "openai";
import type { FunctionTool, ResponseStreamEvent } from "openai/resources/responses/responses";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

let openai: OpenAIUpstream;
let claude: AnthropicUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: OpenAI;

beforeAll(async () => {
  openai = await startOpenAIUpstream({ name: "openai-up", apiKey: "sk-openai-upstream" });
  claude = await startAnthropicUpstream({ name: "claude-up" });
  const openaiParams = { api_base: `${openai.url}/v1`, api_key: "sk-openai-upstream" };
  gateway = await startGateway({
    model_list: [
      { model_name: "gpt-native", litellm_params: { model: "openai/gpt-real", ...openaiParams } },
      { model_name: "gpt-chat", litellm_params: { model: "openai_compatible/gpt-real", ...openaiParams } },
      {
        model_name: "claude",
        litellm_params: { model: "anthropic/claude-real", api_base: claude.url, api_key: "sk-ant-upstream" },
      },
    ],
    router_settings: { num_retries: 0 },
  });
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
  await openai?.close();
  await claude?.close();
});

const weatherTool: FunctionTool = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: null,
};

/** What differs between the three ways a model serves /v1/responses. */
interface Target {
  readonly label: string;
  readonly model: string;
  readonly reply: string;
  /** The last request the upstream received. */
  // biome-ignore lint/suspicious/noExplicitAny: upstream bodies are arbitrary JSON.
  lastUpstream(): { path: string; body: any };
  /** The conversation the upstream received last, in a shape common to the three. */
  upstreamTurns(): Array<{ role: string; text?: string; call?: string; result?: string }>;
  answerWithTool(on: boolean): void;
  /** Answer with this JSON as the upstream writes structured output; undefined: back to text. */
  answerWithJson(json: Record<string, unknown> | undefined): void;
}

// biome-ignore lint/suspicious/noExplicitAny: upstream bodies are arbitrary JSON.
type Loose = any;

const openaiTarget = (label: string, model: string, turns: (body: Loose) => Target["upstreamTurns"]) => ({
  label,
  model,
  reply: "Hello from openai-up",
  lastUpstream: () => {
    const last = openai.requests.at(-1);
    return { path: last?.path ?? "", body: last?.body };
  },
  upstreamTurns: () => turns(openai.requests.at(-1)?.body)(),
  answerWithTool: (on: boolean) =>
    openai.setBehaviour({
      toolCall: on ? { name: "get_weather", arguments: '{"city":"Paris"}' } : undefined,
    }),
  answerWithJson: (json: Record<string, unknown> | undefined) =>
    openai.setBehaviour({ reply: json === undefined ? "Hello from openai-up" : JSON.stringify(json) }),
});

const textOf = (content: Loose): string =>
  typeof content === "string" ? content : content.map((p: Loose) => p.text ?? "").join("");

const targets: Target[] = [
  openaiTarget(
    "an openai/ deployment (the Responses API passed through)",
    "gpt-native",
    (body) => () =>
      body.input.map((item: Loose) => {
        if (item.type === "function_call")
          return { role: "assistant", call: `${item.name}${item.arguments}` };
        if (item.type === "function_call_output") return { role: "tool", result: item.output };
        return { role: item.role, text: textOf(item.content) };
      }),
  ),
  openaiTarget(
    "an OpenAI-compatible deployment (translated to chat completions)",
    "gpt-chat",
    (body) => () =>
      body.messages.flatMap((m: Loose) => {
        if (m.role === "system") return [];
        if (m.role === "tool") return [{ role: "tool", result: m.content }];
        if (m.tool_calls)
          return m.tool_calls.map((c: Loose) => ({
            role: "assistant",
            call: `${c.function.name}${c.function.arguments}`,
          }));
        return [{ role: m.role, text: textOf(m.content) }];
      }),
  ),
  {
    label: "an anthropic/ deployment (translated to chat completions, then to Messages)",
    model: "claude",
    reply: "Hello from claude-up",
    lastUpstream: () => {
      const last = claude.requests.at(-1);
      return { path: last?.path ?? "", body: last?.body };
    },
    upstreamTurns: () =>
      claude.requests.at(-1)?.body.messages.flatMap((m: Loose) =>
        m.content.map((block: Loose) => {
          if (block.type === "tool_use")
            return { role: "assistant", call: `${block.name}${JSON.stringify(block.input)}` };
          if (block.type === "tool_result") return { role: "tool", result: block.content };
          return { role: m.role, text: block.text };
        }),
      ),
    answerWithTool: (on) =>
      claude.setBehaviour({ toolUse: on ? { name: "get_weather", input: { city: "Paris" } } : undefined }),
    // Anthropic answers structured output as the input of the tool the gateway forced.
    answerWithJson: (json) =>
      claude.setBehaviour({
        toolUse: json === undefined ? undefined : { name: "json_tool_call", input: json },
      }),
  },
];

describe.each(targets)("openai SDK → /v1/responses → $label", (target) => {
  it("answers with output text, the gateway's id, the model asked for and the upstream's usage", async () => {
    const response = await client.responses.create({
      model: target.model,
      input: "Say hello",
      instructions: "Be brief.",
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(response.object).toBe("response");
    expect(response.status).toBe("completed");
    expect(response.model).toBe(target.model);
    expect(response.output_text).toBe(target.reply);
    expect(response.instructions).toBe("Be brief.");
    expect((response as Loose).store).toBe(true);
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(target.upstreamTurns()).toEqual([{ role: "user", text: "Say hello" }]);
    // Retrievable by its id, as the SDK reads it.
    const retrieved = await client.responses.retrieve(response.id);
    expect(retrieved.output_text).toBe(target.reply);
    expect(retrieved.id).toBe(response.id);
  });

  it("streams the Responses events in order, numbered, and the SDK's helpers assemble them", async () => {
    const stream = client.responses.stream({ model: target.model, input: "Say hello" });
    const deltas: string[] = [];
    const events: ResponseStreamEvent[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
    stream.on("event", (event) => events.push(event));
    const final = await stream.finalResponse();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(target.reply);
    expect(final.output_text).toBe(target.reply);
    expect(final.status).toBe("completed");
    expect(final.model).toBe(target.model);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = [...new Set(events.map((e) => e.type))];
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const created = events[0] as { response: { id: string } };
    expect(created.response.id).toBe(final.id);
    expect((await client.responses.retrieve(final.id)).output_text).toBe(target.reply);
  });

  it("round-trips a function call: the call comes back, its output continues the stored conversation", async () => {
    target.answerWithTool(true);
    let first: OpenAI.Responses.Response;
    try {
      first = await client.responses.create({
        model: target.model,
        input: "Weather in Paris?",
        tools: [weatherTool],
        tool_choice: { type: "function", name: "get_weather" },
      });
    } finally {
      target.answerWithTool(false);
    }
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
    expect(JSON.parse(call?.type === "function_call" ? call.arguments : "")).toEqual({ city: "Paris" });
    const callId = call?.type === "function_call" ? call.call_id : "";
    expect(callId).not.toBe("");

    const second = await client.responses.create({
      model: target.model,
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: callId, output: "18°C and sunny" }],
      tools: [weatherTool],
    });
    expect(second.output_text).toBe(target.reply);
    expect(second.previous_response_id).toBe(first.id);
    expect(target.upstreamTurns()).toEqual([
      { role: "user", text: "Weather in Paris?" },
      { role: "assistant", call: 'get_weather{"city":"Paris"}' },
      { role: "tool", result: "18°C and sunny" },
    ]);
  });

  it("streams a function call whose arguments the SDK assembles", async () => {
    target.answerWithTool(true);
    try {
      const stream = client.responses.stream({
        model: target.model,
        input: "Weather?",
        tools: [weatherTool],
      });
      const argumentDeltas: string[] = [];
      stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta));
      const final = await stream.finalResponse();
      const call = final.output.find((item) => item.type === "function_call");
      expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
      expect(argumentDeltas.join("")).toBe('{"city":"Paris"}');
    } finally {
      target.answerWithTool(false);
    }
  });

  it("asks the upstream for structured output, and returns the JSON it wrote", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, celsius: { type: "number" } },
      required: ["city", "celsius"],
      additionalProperties: false,
    };
    target.answerWithJson({ city: "Paris", celsius: 18 });
    try {
      const response = await client.responses.create({
        model: target.model,
        input: "Weather in Paris as JSON",
        text: { format: { type: "json_schema", name: "weather", schema, strict: true } },
      });
      expect(JSON.parse(response.output_text)).toEqual({ city: "Paris", celsius: 18 });
      expect(response.text?.format).toMatchObject({ type: "json_schema", name: "weather" });
    } finally {
      target.answerWithJson(undefined);
    }
    expect(structuredRequest(target)).toMatchObject({ name: "weather", schema });
  });

  it("continues a conversation with previous_response_id, then forgets a deleted response", async () => {
    const first = await client.responses.create({ model: target.model, input: "My name is Ada." });
    const second = await client.responses.create({
      model: target.model,
      previous_response_id: first.id,
      input: "What is my name?",
    });
    expect(target.upstreamTurns()).toEqual([
      { role: "user", text: "My name is Ada." },
      { role: "assistant", text: target.reply },
      { role: "user", text: "What is my name?" },
    ]);
    const items = await client.responses.inputItems.list(second.id, { order: "asc" });
    expect(items.data).toMatchObject([
      { type: "message", role: "user", content: [{ type: "input_text", text: "What is my name?" }] },
    ]);
    await client.responses.delete(first.id);
    await expect(client.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    // The conversation now has a hole: continuing it is refused rather than answered half-remembered.
    const broken = await client.responses
      .create({ model: target.model, previous_response_id: second.id, input: "Again?" })
      .catch((e: unknown) => e);
    expect(broken).toBeInstanceOf(OpenAI.NotFoundError);
    expect((broken as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("conversation_incomplete");
  });
});

/** The JSON schema the upstream was asked to follow, wherever its wire format puts it. */
function structuredRequest(target: Target): unknown {
  const { path, body } = target.lastUpstream();
  if (path.endsWith("/responses")) return body.text.format;
  if (path.endsWith("/chat/completions")) return body.response_format.json_schema;
  expect(body.tool_choice).toEqual({ type: "tool", name: "json_tool_call" });
  const tool = body.tools?.find((t: Loose) => t.name === "json_tool_call");
  return { name: "weather", schema: tool?.input_schema };
}

describe("the Responses API passed through to an openai/ deployment", () => {
  it("sends the whole conversation with store: false, never the gateway's ids or previous_response_id", async () => {
    const first = await client.responses.create({
      model: "gpt-native",
      input: "one",
      metadata: { app: "t" },
    });
    expect(first.metadata).toEqual({ app: "t" });
    await client.responses.create({ model: "gpt-native", input: "two", previous_response_id: first.id });
    const { path, body } = targets[0]?.lastUpstream() ?? { path: "", body: undefined };
    expect(path).toBe("/v1/responses");
    expect(body.store).toBe(false);
    expect(body.previous_response_id).toBeUndefined();
    expect(body.metadata).toBeUndefined();
    expect(body.model).toBe("gpt-real");
    expect(JSON.stringify(body.input)).not.toContain("resp_");
    expect(body.input.every((item: Loose) => item.id === undefined)).toBe(true);
  });

  it("passes built-in tools through where every deployment speaks the Responses API", async () => {
    await client.responses.create({ model: "gpt-native", input: "news?", tools: [{ type: "web_search" }] });
    expect(targets[0]?.lastUpstream().body.tools).toEqual([{ type: "web_search" }]);
  });

  it("refuses built-in tools for a model served through chat completions, before any upstream sees it", async () => {
    const before = claude.requests.length;
    const error = await client.responses
      .create({ model: "claude", input: "news?", tools: [{ type: "web_search" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.code).toBe("unsupported_for_model");
    expect(bad.param).toBe("tools[0]");
    expect(bad.message).toMatch(/web_search.*anthropic/);
    expect(claude.requests.length).toBe(before);
  });

  it("maps an upstream error to the SDK's error class", async () => {
    openai.setBehaviour({ failNext: 1, failStatus: 400, failMessage: "bad input for the model" });
    const error = await client.responses.create({ model: "gpt-native", input: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toMatch(/bad input for the model/);
  });
});

describe("requests the gateway refuses", () => {
  it("names the bad field, and refuses what it does not serve", async () => {
    const bad = async (body: Record<string, unknown>) => {
      const error = await client.responses.create(body as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      return error as InstanceType<typeof OpenAI.BadRequestError>;
    };
    expect((await bad({ model: "claude", input: [{ role: "user", content: 5 }] })).param).toBe(
      "input[0].content",
    );
    expect((await bad({ model: "claude", input: "x", background: true })).param).toBe("background");
    expect((await bad({ model: "claude", input: [{ type: "item_reference", id: "msg_1" }] })).code).toBe(
      "unsupported_parameter",
    );
  });

  it("answers 404 for an id that is no response, malformed ones included", async () => {
    for (const id of ["resp_doesnotexist", "resp_x:y", "not-an-id"]) {
      await expect(client.responses.retrieve(id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    }
    const error = await client.responses
      .create({ model: "claude", input: "x", previous_response_id: "resp_doesnotexist" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("previous_response_id");
  });

  it("keeps nothing for store: false", async () => {
    const response = await client.responses.create({ model: "claude", input: "x", store: false });
    expect((response as Loose).store).toBe(false);
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("general_settings.allowed_routes: openai_routes", () => {
  it("includes the Responses API routes, as LiteLLM's group does", async () => {
    const narrow = await startGateway({
      model_list: [{ model_name: "demo", litellm_params: { model: "mock/demo", mock_response: "hello" } }],
      general_settings: { master_key: MASTER_KEY, allowed_routes: ["openai_routes"] },
    });
    try {
      const sdk = new OpenAI({ apiKey: MASTER_KEY, baseURL: narrow.url, maxRetries: 0 });
      const created = await sdk.responses.create({ model: "demo", input: "hi" });
      expect(created.output_text).toBe("hello");
      expect((await sdk.responses.retrieve(created.id)).id).toBe(created.id);
      expect((await sdk.responses.inputItems.list(created.id)).data).toHaveLength(1);
      const messages = await fetch(`${narrow.url}/v1/messages`, { method: "POST" });
      expect(messages.status).toBe(403);
    } finally {
      await narrow.shutdown();
    }
  });
});
