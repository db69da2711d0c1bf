import { generateKeyPairSync } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BedrockUpstream, startBedrockUpstream } from "../support/bedrock-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type GoogleUpstream, startGoogleUpstream } from "../support/google-upstream";
import { sample } from "../support/metrics";

/**
 * A LiteLLM config naming Bedrock, the Gemini API and Vertex AI, served through the gateway to the
 * official openai and Anthropic clients, against loopback upstreams speaking each wire format
 * (Bedrock's binary event stream encoded with the AWS SDK's own codec, Gemini's SSE).
 */

const GEMINI_KEY = "gemini-key-secret";
const SERVICE_ACCOUNT_EMAIL = "routeiq@my-project.iam.gserviceaccount.com";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const serviceAccount = {
  type: "service_account",
  project_id: "key-project",
  private_key_id: "kid-1",
  private_key: privateKeyPem,
  client_email: SERVICE_ACCOUNT_EMAIL,
};

let bedrock: BedrockUpstream;
let google: GoogleUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let openai: OpenAI;

const weatherTool: OpenAI.ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};

beforeAll(async () => {
  bedrock = await startBedrockUpstream();
  google = await startGoogleUpstream({
    apiKey: GEMINI_KEY,
    serviceAccount: { email: SERVICE_ACCOUNT_EMAIL, privateKeyPem },
  });
  const aws = {
    aws_bedrock_runtime_endpoint: bedrock.url,
    aws_region_name: "eu-west-1",
    aws_access_key_id: "AKIDEXAMPLE",
    aws_secret_access_key: "aws-secret-example",
  };
  const vertex = {
    api_base: google.url,
    vertex_project: "my-project",
    vertex_location: "europe-west4",
    vertex_credentials: JSON.stringify(serviceAccount),
  };
  gateway = await startGateway(
    {
      model_list: [
        { model_name: "nova", litellm_params: { model: "bedrock/us.amazon.nova-pro-v1:0", ...aws } },
        {
          model_name: "bedrock-claude",
          litellm_params: { model: "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", ...aws },
        },
        {
          model_name: "bedrock-claude-converse",
          litellm_params: { model: "bedrock/converse/anthropic.claude-3-5-haiku-20241022-v1:0", ...aws },
        },
        {
          model_name: "titan-embed",
          litellm_params: { model: "bedrock/amazon.titan-embed-text-v2:0", ...aws },
        },
        {
          model_name: "cohere-embed",
          litellm_params: { model: "bedrock/cohere.embed-english-v3", ...aws },
        },
        // No api_key: it comes from GEMINI_API_KEY, as in LiteLLM.
        { model_name: "gemini", litellm_params: { model: "gemini/gemini-2.5-flash", api_base: google.url } },
        {
          model_name: "gemini-embed",
          litellm_params: { model: "gemini/gemini-embedding-001", api_base: google.url },
        },
        { model_name: "vertex-gemini", litellm_params: { model: "vertex_ai/gemini-2.5-pro", ...vertex } },
        {
          model_name: "vertex-claude",
          litellm_params: { model: "vertex_ai/claude-sonnet-4-5@20250929", ...vertex },
        },
        { model_name: "vertex-embed", litellm_params: { model: "vertex_ai/text-embedding-005", ...vertex } },
      ],
      router_settings: { num_retries: 0 },
    },
    { GEMINI_API_KEY: GEMINI_KEY },
  );
  openai = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await gateway?.shutdown();
  await bedrock?.close();
  await google?.close();
});

beforeEach(() => {
  bedrock.setBehaviour({
    reply: "Hello from bedrock",
    toolUse: undefined,
    failNext: 0,
    streamException: undefined,
  });
  google.setBehaviour({
    reply: "Hello from google",
    toolCall: undefined,
    failNext: 0,
    blockPrompt: undefined,
    finishReason: "STOP",
    truncateStream: false,
  });
});

async function streamText(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  let text = "";
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    text += choice?.delta.content ?? "";
    finish = choice?.finish_reason ?? finish;
    for (const call of choice?.delta.tool_calls ?? []) {
      const entry = calls.get(call.index) ?? { arguments: "" };
      entry.id ??= call.id;
      entry.name ??= call.function?.name;
      entry.arguments += call.function?.arguments ?? "";
      calls.set(call.index, entry);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, finish, usage, calls: [...calls.values()] };
}

async function spendOf(group: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return sample(text, "litellm_spend_metric_total", { model_group: group }) ?? 0;
}

describe("bedrock/ through Converse", () => {
  it("answers a chat SigV4-signed for the configured region, with usage and its list price", async () => {
    const before = await spendOf("nova");
    const completion = await openai.chat.completions.create({
      model: "nova",
      max_tokens: 50,
      temperature: 0.2,
      stop: "END",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hello" },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from bedrock");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    // Cache reads are billed prompt tokens.
    expect(completion.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 5, total_tokens: 20 });
    const request = bedrock.requests.at(-1);
    expect(request?.path).toBe("/model/us.amazon.nova-pro-v1%3A0/converse");
    expect(request?.headers.authorization).toMatch(
      /Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/bedrock\/aws4_request/,
    );
    expect(request?.body).toEqual({
      messages: [{ role: "user", content: [{ text: "hello" }] }],
      system: [{ text: "Be brief." }],
      inferenceConfig: { maxTokens: 50, temperature: 0.2, stopSequences: ["END"] },
    });
    // Nova Pro lists at $0.80 / $3.20 per million tokens.
    expect((await spendOf("nova")) - before).toBeCloseTo((15 * 0.8 + 5 * 3.2) / 1e6, 12);
  });

  it("streams through ConverseStream's binary event stream, ending with usage", async () => {
    const stream = await openai.chat.completions.create({
      model: "nova",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { text, finish, usage } = await streamText(stream);
    expect(text).toBe("Hello from bedrock");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 5 });
    expect(bedrock.requests.at(-1)?.path).toBe("/model/us.amazon.nova-pro-v1%3A0/converse-stream");
  });

  it("calls tools both ways, plain and streaming", async () => {
    bedrock.setBehaviour({ toolUse: { name: "get_weather", input: { city: "Paris" } } });
    const completion = await openai.chat.completions.create({
      model: "nova",
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools: [weatherTool],
      tool_choice: "required",
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect(bedrock.requests.at(-1)?.body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: "get_weather",
            description: "Current weather for a city",
            inputSchema: { json: weatherTool.function.parameters },
          },
        },
      ],
      toolChoice: { any: {} },
    });

    const streamed = await streamText(
      await openai.chat.completions.create({
        model: "nova",
        messages: [{ role: "user", content: "weather in Paris?" }],
        tools: [weatherTool],
        stream: true,
      }),
    );
    expect(streamed.finish).toBe("tool_calls");
    expect(streamed.calls).toHaveLength(1);
    expect(streamed.calls[0]?.name).toBe("get_weather");
    expect(JSON.parse(streamed.calls[0]?.arguments ?? "")).toEqual({ city: "Paris" });

    bedrock.setBehaviour({ toolUse: undefined, reply: "It is sunny." });
    const answer = await openai.chat.completions.create({
      model: "nova",
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: '{"sky":"clear"}' },
      ],
      tools: [weatherTool],
    });
    expect(answer.choices[0]?.message.content).toBe("It is sunny.");
    expect(bedrock.requests.at(-1)?.body.messages).toEqual([
      { role: "user", content: [{ text: "weather in Paris?" }] },
      {
        role: "assistant",
        content: [{ toolUse: { toolUseId: call.id, name: "get_weather", input: { city: "Paris" } } }],
      },
      {
        role: "user",
        content: [{ toolResult: { toolUseId: call.id, content: [{ text: '{"sky":"clear"}' }] } }],
      },
    ]);
  });

  it("answers Bedrock's throttling with 429 and its retry-after", async () => {
    bedrock.setBehaviour({ failNext: 1, retryAfterSeconds: 7 });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "nova", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain("ThrottlingException");
    expect(body.error.message).not.toContain("aws-secret-example");
  });

  it("fails a stream whose event stream carries an exception, as the upstream's failure", async () => {
    bedrock.setBehaviour({ streamException: "modelStreamErrorException" });
    const stream = await openai.chat.completions.create({
      model: "nova",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
    });
    await expect(streamText(stream)).rejects.toThrow();
  });

  it("refuses a request Converse cannot express, naming the field", async () => {
    const error = await openai.chat.completions
      .create({ model: "nova", n: 2, messages: [{ role: "user", content: "hello" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("n");
    const image = await openai.chat.completions
      .create({
        model: "nova",
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "http://169.254.169.254/x.png" } }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(image).toBeInstanceOf(OpenAI.BadRequestError);
    expect((image as Error).message).toContain("messages[0].content[0].image_url");
  });

  it("embeds with Titan, charged the tokens Bedrock reports", async () => {
    const result = await openai.embeddings.create({ model: "titan-embed", input: ["a", "bb"] });
    expect(result.data.map((d) => d.embedding[2])).toEqual([1, 2]);
    expect(result.usage.prompt_tokens).toBe(6);
  });

  it("embeds with Cohere Embed, a list in one call, charged the tokenizer's count", async () => {
    const result = await openai.embeddings.create({ model: "cohere-embed", input: ["one", "three"] });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [0, 3, 0.5],
      [1, 5, 0.5],
    ]);
    const request = bedrock.requests.at(-1);
    expect(request?.path).toBe("/model/cohere.embed-english-v3/invoke");
    expect(request?.body).toEqual({ texts: ["one", "three"], input_type: "search_document" });
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
  });
});

describe("Claude on Bedrock", () => {
  it("goes through InvokeModel in Anthropic's own format, priced as Anthropic lists it", async () => {
    const before = await spendOf("bedrock-claude");
    const completion = await openai.chat.completions.create({
      model: "bedrock-claude",
      max_tokens: 64,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hello" },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from bedrock");
    expect(completion.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 9 });
    const request = bedrock.requests.at(-1);
    expect(request?.path).toBe("/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke");
    expect(request?.body).toEqual({
      anthropic_version: "bedrock-2023-05-31",
      system: "Be brief.",
      max_tokens: 64,
      messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
    });
    // Claude 3.5 Sonnet: $3 / $15 per million tokens.
    expect((await spendOf("bedrock-claude")) - before).toBeCloseTo((30 * 3 + 9 * 15) / 1e6, 12);
  });

  it("serves the Anthropic client on /v1/messages, streaming and with tool use", async () => {
    const anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: gateway.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: "bedrock-claude",
      max_tokens: 100,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(message.content).toEqual([{ type: "text", text: "Hello from bedrock" }]);
    expect(message.usage).toMatchObject({ input_tokens: 30, output_tokens: 9 });

    bedrock.setBehaviour({ toolUse: { name: "get_weather", input: { city: "Oslo" } } });
    const stream = anthropic.messages.stream({
      model: "bedrock-claude",
      max_tokens: 100,
      tools: [
        { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
      ],
      messages: [{ role: "user", content: "weather in Oslo?" }],
    });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toMatchObject([{ type: "tool_use", name: "get_weather", input: { city: "Oslo" } }]);
    const request = bedrock.requests.at(-1);
    expect(request?.path).toBe(
      "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream",
    );
    expect(request?.body.tools).toEqual([
      { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
    ]);
  });

  it("goes through Converse when the config says bedrock/converse/", async () => {
    const completion = await openai.chat.completions.create({
      model: "bedrock-claude-converse",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from bedrock");
    expect(bedrock.requests.at(-1)?.path).toBe("/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/converse");
  });
});

describe("gemini/ through the Gemini API", () => {
  it("answers a chat with the key in a header, thinking left out of the answer and billed as output", async () => {
    const before = await spendOf("gemini");
    const completion = await openai.chat.completions.create({
      model: "gemini",
      max_completion_tokens: 80,
      response_format: { type: "json_object" },
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hello" },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from google");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    const request = google.requests.at(-1);
    expect(request?.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(request?.headers["x-goog-api-key"]).toBe(GEMINI_KEY);
    expect(request?.body).toEqual({
      contents: [{ role: "user", parts: [{ text: "hello" }] }],
      systemInstruction: { parts: [{ text: "Be brief." }] },
      generationConfig: { maxOutputTokens: 80, responseMimeType: "application/json" },
    });
    const prompt = completion.usage?.prompt_tokens ?? 0;
    // Three words of answer and two of thinking.
    expect(completion.usage?.completion_tokens).toBe(5);
    // Gemini 2.5 Flash: $0.30 / $2.50 per million tokens.
    expect((await spendOf("gemini")) - before).toBeCloseTo((prompt * 0.3 + 5 * 2.5) / 1e6, 12);
  });

  it("streams Gemini's SSE, with usage", async () => {
    const { text, finish, usage } = await streamText(
      await openai.chat.completions.create({
        model: "gemini",
        messages: [{ role: "user", content: "hello" }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(text).toBe("Hello from google");
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(5);
    expect(google.requests.at(-1)?.path).toBe(
      "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
    );
  });

  it("calls functions both ways, the thought signature returned with the call", async () => {
    google.setBehaviour({ toolCall: { name: "get_weather", args: { city: "Rome" } } });
    const completion = await openai.chat.completions.create({
      model: "gemini",
      messages: [{ role: "user", content: "weather in Rome?" }],
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    if (call?.type !== "function") throw new Error("expected a function call");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Rome" });
    expect(google.requests.at(-1)?.body).toMatchObject({
      tools: [
        {
          functionDeclarations: [
            {
              name: "get_weather",
              description: "Current weather for a city",
              parametersJsonSchema: weatherTool.function.parameters,
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["get_weather"] } },
    });

    const streamed = await streamText(
      await openai.chat.completions.create({
        model: "gemini",
        messages: [{ role: "user", content: "weather in Rome?" }],
        tools: [weatherTool],
        stream: true,
      }),
    );
    expect(streamed.finish).toBe("tool_calls");
    expect(streamed.calls[0]?.name).toBe("get_weather");

    google.setBehaviour({ toolCall: undefined, reply: "Warm." });
    await openai.chat.completions.create({
      model: "gemini",
      messages: [
        { role: "user", content: "weather in Rome?" },
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: '{"celsius":24}' },
      ],
      tools: [weatherTool],
    });
    expect(google.requests.at(-1)?.body.contents).toEqual([
      { role: "user", parts: [{ text: "weather in Rome?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "get_weather", args: { city: "Rome" } }, thoughtSignature: "c2lnbmF0dXJl" },
        ],
      },
      {
        role: "user",
        parts: [{ functionResponse: { name: "get_weather", response: { content: { celsius: 24 } } } }],
      },
    ]);
  });

  it("sends images inline and reports a blocked prompt as content_filter with a refusal", async () => {
    google.setBehaviour({ blockPrompt: "SAFETY" });
    const completion = await openai.chat.completions.create({
      model: "gemini",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe("content_filter");
    expect(completion.choices[0]?.message.content).toBeNull();
    expect(completion.choices[0]?.message.refusal).toContain("SAFETY");
    expect(google.requests.at(-1)?.body.contents[0].parts).toEqual([
      { text: "what is this?" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
    ]);
  });

  it("answers Google's RESOURCE_EXHAUSTED with 429 and the RetryInfo delay as retry-after", async () => {
    google.setBehaviour({ failNext: 1, failStatus: 429, retryDelaySeconds: 9 });
    const error = await openai.chat.completions
      .create({ model: "gemini", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe("9");
  });

  it("fails a stream that ends before Gemini finished the answer", async () => {
    google.setBehaviour({ truncateStream: true });
    const stream = await openai.chat.completions.create({
      model: "gemini",
      messages: [{ role: "user", content: "hello" }],
      stream: true,
    });
    await expect(streamText(stream)).rejects.toThrow();
  });

  it("embeds through batchEmbedContents, in the openai client's default base64", async () => {
    const result = await openai.embeddings.create({
      model: "gemini-embed",
      input: ["one", "two"],
      dimensions: 3,
    });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [0, 0.5, -0.5],
      [1, 0.5, -0.5],
    ]);
    expect(google.requests.at(-1)?.body).toEqual({
      requests: [
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "one" }] },
          outputDimensionality: 3,
        },
        {
          model: "models/gemini-embedding-001",
          content: { parts: [{ text: "two" }] },
          outputDimensionality: 3,
        },
      ],
    });
  });
});

describe("vertex_ai/", () => {
  it("serves Gemini with the service account's own signed token, at the configured project and location", async () => {
    const completion = await openai.chat.completions.create({
      model: "vertex-gemini",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from google");
    const request = google.requests.at(-1);
    expect(request?.path).toBe(
      "/v1/projects/my-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent",
    );
    // The mock verified the JWT against the key's public half; the key itself never travels.
    expect(JSON.stringify(request?.headers)).not.toContain("PRIVATE KEY");

    const { text } = await streamText(
      await openai.chat.completions.create({
        model: "vertex-gemini",
        messages: [{ role: "user", content: "hello" }],
        stream: true,
      }),
    );
    expect(text).toBe("Hello from google");
  });

  it("serves Claude through rawPredict in Anthropic's format, to both clients", async () => {
    const completion = await openai.chat.completions.create({
      model: "vertex-claude",
      max_tokens: 32,
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from google");
    const request = google.requests.at(-1);
    expect(request?.path).toBe(
      "/v1/projects/my-project/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
    );
    expect(request?.body).toEqual({
      anthropic_version: "vertex-2023-10-16",
      max_tokens: 32,
      messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }],
    });

    const anthropic = new Anthropic({ apiKey: MASTER_KEY, baseURL: gateway.url, maxRetries: 0 });
    const text = await anthropic.messages
      .stream({ model: "vertex-claude", max_tokens: 32, messages: [{ role: "user", content: "hello" }] })
      .finalText();
    expect(text).toBe("Hello from google");
    expect(google.requests.at(-1)?.path).toMatch(/:streamRawPredict$/);
  });

  it("embeds through predict, charged the tokens Vertex reports", async () => {
    const result = await openai.embeddings.create({ model: "vertex-embed", input: ["one", "two"] });
    expect(result.data).toHaveLength(2);
    expect(result.usage.prompt_tokens).toBe(8);
    expect(google.requests.at(-1)?.path).toMatch(/publishers\/google\/models\/text-embedding-005:predict$/);
  });
});
