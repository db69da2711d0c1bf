import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AnthropicUpstream, startAnthropicUpstream } from "../support/anthropic-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

let openai: OpenAIUpstream;
let claude: AnthropicUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: Anthropic;

beforeAll(async () => {
  openai = await startOpenAIUpstream({ name: "openai-up", apiKey: "sk-openai-upstream" });
  claude = await startAnthropicUpstream({ name: "claude-up" });
  gateway = await startGateway({
    model_list: [
      {
        model_name: "gpt-behind-messages",
        litellm_params: {
          model: "openai/gpt-real",
          api_base: `${openai.url}/v1`,
          api_key: "sk-openai-upstream",
        },
      },
      {
        model_name: "claude-behind-messages",
        litellm_params: {
          model: "anthropic/claude-real",
          api_base: claude.url,
          api_key: "sk-ant-upstream",
        },
      },
    ],
    router_settings: { num_retries: 0 },
  });
  client = new Anthropic({ apiKey: MASTER_KEY, baseURL: gateway.url, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
  await openai?.close();
  await claude?.close();
});

const weatherTool: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** What differs between the two kinds of upstream behind /v1/messages. */
interface Target {
  readonly label: string;
  readonly model: string;
  readonly reply: string;
  /** The usage the upstream reported for its last request, in Anthropic terms. */
  upstreamUsage(): { input_tokens: number; output_tokens: number };
  /** The system prompt the upstream received on its last request, as one string. */
  upstreamSystem(): unknown;
  answerWithTool(on: boolean): void;
}

const targets: Target[] = [
  {
    label: "an openai/ deployment",
    model: "gpt-behind-messages",
    reply: "Hello from openai-up",
    upstreamUsage() {
      // The mock counts a quarter token per character of the forwarded messages and of its reply.
      const body = openai.requests.at(-1)?.body;
      return {
        input_tokens: Math.max(1, Math.ceil(JSON.stringify(body.messages).length / 4)),
        output_tokens: Math.ceil("Hello from openai-up".length / 4),
      };
    },
    upstreamSystem() {
      const messages: Array<{ role: string; content: unknown }> = openai.requests.at(-1)?.body.messages;
      const system = messages.filter((m) => m.role === "system");
      expect(messages[0]?.role).toBe("system");
      expect(system).toHaveLength(1);
      return system[0]?.content;
    },
    answerWithTool(on) {
      openai.setBehaviour({
        toolCall: on ? { name: "get_weather", arguments: '{"city":"Paris"}' } : undefined,
      });
    },
  },
  {
    label: "an anthropic/ deployment",
    model: "claude-behind-messages",
    reply: "Hello from claude-up",
    upstreamUsage() {
      const body = claude.requests.at(-1)?.body;
      return {
        input_tokens: Math.ceil(JSON.stringify([body.system, body.messages]).length / 4),
        // One output token per streamed piece: "Hello", " from", " claude-up".
        output_tokens: 3,
      };
    },
    upstreamSystem() {
      const body = claude.requests.at(-1)?.body;
      expect(body.messages.every((m: { role: string }) => m.role === "user" || m.role === "assistant")).toBe(
        true,
      );
      return body.system;
    },
    answerWithTool(on) {
      claude.setBehaviour({ toolUse: on ? { name: "get_weather", input: { city: "Paris" } } : undefined });
    },
  },
];

describe.each(targets)("Anthropic SDK → /v1/messages → $label", (target) => {
  it("answers a message with content, stop_reason and the upstream's usage", async () => {
    const message = await client.messages.create({
      model: target.model,
      max_tokens: 256,
      messages: [{ role: "user", content: "Say hello" }],
    });
    expect(message.type).toBe("message");
    expect(message.role).toBe("assistant");
    expect(message.model).toBe(target.model);
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([{ type: "text", text: target.reply }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage).toMatchObject(target.upstreamUsage());
  });

  it("streams text events and a final message equal to the non-streamed one", async () => {
    const stream = client.messages.stream({
      model: target.model,
      max_tokens: 256,
      messages: [{ role: "user", content: "Say hello" }],
    });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(target.reply);
    expect(message.content).toEqual([{ type: "text", text: target.reply }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.model).toBe(target.model);
    expect(message.usage).toMatchObject(target.upstreamUsage());
  });

  it("passes the system prompt to the upstream, as a string or as text blocks", async () => {
    await client.messages.create({
      model: target.model,
      max_tokens: 64,
      system: "You are terse.",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(target.upstreamSystem()).toBe("You are terse.");

    await client.messages.create({
      model: target.model,
      max_tokens: 64,
      system: [
        { type: "text", text: "Rule one." },
        { type: "text", text: "Rule two." },
      ],
      messages: [{ role: "user", content: "hi" }],
    });
    expect(target.upstreamSystem()).toBe("Rule one.\nRule two.");
  });

  it("streams a tool_use block whose input the SDK assembles", async () => {
    target.answerWithTool(true);
    try {
      const stream = client.messages.stream({
        model: target.model,
        max_tokens: 256,
        tools: [weatherTool],
        messages: [{ role: "user", content: "Weather in Paris?" }],
      });
      const message = await stream.finalMessage();
      expect(message.stop_reason).toBe("tool_use");
      const toolUse = message.content.find((block) => block.type === "tool_use");
      expect(toolUse).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
      expect(toolUse?.type === "tool_use" && toolUse.id).toBeTruthy();
    } finally {
      target.answerWithTool(false);
    }
  });
});

describe("tool round trip through /v1/messages", () => {
  const question: Anthropic.MessageParam = { role: "user", content: "Weather in Paris?" };

  it("openai/ deployment: tool_use comes back, and its tool_result reaches upstream as a tool message", async () => {
    targets[0]?.answerWithTool(true);
    let first: Anthropic.Message;
    try {
      first = await client.messages.create({
        model: "gpt-behind-messages",
        max_tokens: 256,
        tools: [weatherTool],
        tool_choice: { type: "tool", name: "get_weather" },
        messages: [question],
      });
    } finally {
      targets[0]?.answerWithTool(false);
    }
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content).toEqual([
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } },
    ]);
    const asked = openai.requests.at(-1)?.body;
    expect(asked.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Current weather for a city",
          parameters: weatherTool.input_schema,
        },
      },
    ]);
    expect(asked.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });

    const second = await client.messages.create({
      model: "gpt-behind-messages",
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        question,
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "call_1", content: "18°C and sunny" }],
        },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "Hello from openai-up" }]);
    expect(second.stop_reason).toBe("end_turn");
    expect(openai.requests.at(-1)?.body.messages).toEqual([
      { role: "user", content: "Weather in Paris?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "18°C and sunny" },
    ]);
  });

  it("anthropic/ deployment: the tool_use id survives both translations into the tool_result", async () => {
    targets[1]?.answerWithTool(true);
    let first: Anthropic.Message;
    try {
      first = await client.messages.create({
        model: "claude-behind-messages",
        max_tokens: 256,
        tools: [weatherTool],
        messages: [question],
      });
    } finally {
      targets[1]?.answerWithTool(false);
    }
    expect(first.stop_reason).toBe("tool_use");
    const toolUse = first.content[0];
    expect(toolUse).toMatchObject({ type: "tool_use", name: "get_weather", input: { city: "Paris" } });
    const id = toolUse?.type === "tool_use" ? toolUse.id : "";
    expect(id).toMatch(/^toolu_/);
    expect(claude.requests.at(-1)?.body.tools).toEqual([
      {
        name: "get_weather",
        description: "Current weather for a city",
        input_schema: weatherTool.input_schema,
      },
    ]);

    const second = await client.messages.create({
      model: "claude-behind-messages",
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        question,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "18°C and sunny" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "Hello from claude-up" }]);
    expect(claude.requests.at(-1)?.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id, name: "get_weather", input: { city: "Paris" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "18°C and sunny" }] },
    ]);
  });
});

describe("authentication on /v1/messages", () => {
  const body = JSON.stringify({
    model: "gpt-behind-messages",
    max_tokens: 32,
    messages: [{ role: "user", content: "hi" }],
  });
  const post = (headers: Record<string, string>) =>
    fetch(`${gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
      body,
    });

  it("rejects the SDK with a wrong key as AuthenticationError, without calling upstream", async () => {
    const before = openai.requests.length;
    const wrong = new Anthropic({ apiKey: "sk-wrong", baseURL: gateway.url, maxRetries: 0 });
    const error = await wrong.messages
      .create({ model: "gpt-behind-messages", max_tokens: 32, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401);
    expect(openai.requests.length).toBe(before);
  });

  it("accepts the SDK's Authorization: Bearer header", async () => {
    const sent: Headers[] = [];
    const recording = new Anthropic({
      apiKey: MASTER_KEY,
      baseURL: gateway.url,
      maxRetries: 0,
      fetch: (input: string | URL | Request, init?: RequestInit) => {
        sent.push(new Headers(init?.headers));
        return fetch(input, init);
      },
    });
    const message = await recording.messages.create({
      model: "gpt-behind-messages",
      max_tokens: 32,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(message.content).toEqual([{ type: "text", text: "Hello from openai-up" }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.get("authorization")).toBe(`Bearer ${MASTER_KEY}`);
    expect(sent[0]?.get("x-api-key")).toBeNull();
  });

  it("accepts the key in x-api-key, as Anthropic clients send it", async () => {
    const response = await post({ "x-api-key": MASTER_KEY });
    expect(response.status).toBe(200);
    const message = await response.json();
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: "Hello from openai-up" }],
    });
  });

  it("401 for a wrong x-api-key and for no key at all", async () => {
    const wrong = await post({ "x-api-key": "sk-wrong" });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.type).toBe("authentication_error");
    const missing = await post({});
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.message).toContain("x-api-key");
  });
});

describe("invalid requests on /v1/messages", () => {
  const post = (body: unknown) =>
    fetch(`${gateway.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": MASTER_KEY },
      body: JSON.stringify(body),
    });

  it("400 BadRequestError naming max_tokens when the SDK omits it, without calling upstream", async () => {
    const before = openai.requests.length;
    const error = await client.messages
      .create({
        model: "gpt-behind-messages",
        messages: [{ role: "user", content: "hi" }],
      } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    const badRequest = error as InstanceType<typeof Anthropic.BadRequestError>;
    expect(badRequest.status).toBe(400);
    expect(badRequest.message).toContain("max_tokens");
    expect(openai.requests.length).toBe(before);
  });

  it("400 with param naming the offending field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ model: "gpt-behind-messages", messages: [{ role: "user", content: "hi" }] }, "max_tokens"],
      [{ model: "gpt-behind-messages", max_tokens: 10, messages: [] }, "messages"],
      [
        { model: "gpt-behind-messages", max_tokens: 10, messages: [{ role: "system", content: "hi" }] },
        "messages[0].role",
      ],
      [
        {
          model: "gpt-behind-messages",
          max_tokens: 10,
          messages: [{ role: "user", content: [{ type: "text" }] }],
        },
        "messages[0].content[0].text",
      ],
    ];
    for (const [body, param] of cases) {
      const response = await post(body);
      expect(response.status).toBe(400);
      const error = (await response.json()).error;
      expect(error.type).toBe("invalid_request_error");
      expect(error.param).toBe(param);
      expect(error.message).toContain(param);
    }
  });

  it("404 NotFoundError for a model that is not configured", async () => {
    const error = await client.messages
      .create({ model: "claude-nope", max_tokens: 32, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as Error).message).toContain("gpt-behind-messages, claude-behind-messages");
  });
});
