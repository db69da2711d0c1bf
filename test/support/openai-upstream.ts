import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** How the mock OpenAI-format upstream answers; change it between requests with `setBehaviour`. */
export interface Behaviour {
  reply: string;
  /** Wait before answering (headers included). */
  delayMs: number;
  /** Pause between stream chunks. */
  chunkDelayMs: number;
  /** Pause after the last content chunk, before the usage chunk or `response.completed` (a client may leave meanwhile). */
  usageDelayMs: number;
  /** Ignore `stream_options.include_usage`, as some OpenAI-compatible servers do. */
  omitUsage: boolean;
  /** The completion tokens to report for a request body, instead of the reply's length. */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON.
  completionTokens?: (body: any) => number;
  /** The prompt tokens to report for a request body, instead of its messages' length. */
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON.
  promptTokens?: (body: any) => number;
  /** How many of the next requests fail with `failStatus`. */
  failNext: number;
  failStatus: number;
  retryAfterSeconds?: number;
  /** Error body message for failures (e.g. a context-length message). */
  failMessage: string;
  /** Answer with this tool call (finish_reason tool_calls) instead of text. */
  toolCall?: { name: string; arguments: string };
  /** Close the socket without answering (connection error). */
  dropConnection: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Epoch ms when the request arrived (before its body was read). */
  receivedAt: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of the forwarded request.
  body: any;
}

export interface OpenAIUpstream {
  url: string;
  requests: RecordedRequest[];
  setBehaviour(behaviour: Partial<Behaviour>): void;
  /** Streams the client disconnected from before the end. */
  readonly abortedStreams: number;
  close(): Promise<void>;
}

const defaults = (name: string): Behaviour => ({
  reply: `Hello from ${name}`,
  delayMs: 0,
  chunkDelayMs: 0,
  usageDelayMs: 0,
  omitUsage: false,
  failNext: 0,
  failStatus: 500,
  failMessage: "mock upstream failure",
  dropConnection: false,
});

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const usageFor = (prompt: string, reply: string) => {
  const prompt_tokens = Math.max(1, Math.ceil(prompt.length / 4));
  const completion_tokens = Math.max(1, Math.ceil(reply.length / 4));
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
};

/** The Responses API's output for the current behaviour: a message, or a function call. */
function responsesOutput(behaviour: Behaviour) {
  const toolCall = behaviour.toolCall;
  if (toolCall !== undefined) {
    return [
      {
        type: "function_call" as const,
        id: "fc_upstream_1",
        call_id: "call_1",
        name: toolCall.name,
        arguments: toolCall.arguments,
        status: "completed",
      },
    ];
  }
  return [
    {
      type: "message" as const,
      id: "msg_upstream_1",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: behaviour.reply, annotations: [] }],
    },
  ];
}

/**
 * `POST /v1/responses` (and Azure's `/openai/v1/responses`) as OpenAI documents it: a Response
 * object, or its event stream (`response.created` … `response.completed`, numbered from 0).
 */
async function answerResponses(
  // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON.
  body: any,
  res: ServerResponse,
  behaviour: Behaviour,
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number },
  onAborted: () => void,
): Promise<void> {
  const output = responsesOutput(behaviour);
  const response = {
    id: "resp_upstream_1",
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model: body.model,
    output,
    store: body.store ?? true,
    usage: {
      input_tokens: usage.prompt_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.completion_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.total_tokens,
    },
  };
  if (!body.stream) {
    json(res, 200, response);
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream" });
  let finished = false;
  res.on("close", () => {
    if (!finished) onAborted();
  });
  let sequence = 0;
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`);
  const inProgress = { ...response, status: "in_progress", output: [], usage: null };
  send("response.created", { response: inProgress });
  send("response.in_progress", { response: inProgress });
  for (const [index, item] of output.entries()) {
    if (item.type === "message") {
      send("response.output_item.added", {
        output_index: index,
        item: { ...item, status: "in_progress", content: [] },
      });
      const at = { item_id: item.id, output_index: index, content_index: 0 };
      send("response.content_part.added", {
        ...at,
        part: { type: "output_text", text: "", annotations: [] },
      });
      for (const piece of behaviour.reply.split(/(?<= )/)) {
        if (behaviour.chunkDelayMs > 0) await sleep(behaviour.chunkDelayMs);
        if (res.destroyed) return;
        send("response.output_text.delta", { ...at, delta: piece, logprobs: [] });
      }
      send("response.output_text.done", { ...at, text: behaviour.reply, logprobs: [] });
      send("response.content_part.done", {
        ...at,
        part: { type: "output_text", text: behaviour.reply, annotations: [] },
      });
    } else {
      send("response.output_item.added", { output_index: index, item: { ...item, arguments: "" } });
      const at = { item_id: item.id, output_index: index };
      send("response.function_call_arguments.delta", { ...at, delta: item.arguments });
      send("response.function_call_arguments.done", { ...at, arguments: item.arguments, name: item.name });
    }
    send("response.output_item.done", { output_index: index, item });
  }
  if (behaviour.usageDelayMs > 0) await sleep(behaviour.usageDelayMs);
  if (res.destroyed) return;
  send("response.completed", { response });
  finished = true;
  res.end();
}

/**
 * A loopback server speaking the OpenAI wire format (`/v1/chat/completions`, `/v1/completions`,
 * `/v1/embeddings`, `/v1/responses`, and Azure's `/openai/deployments/<name>/...` and
 * `/openai/v1/responses`), streaming included.
 */
export async function startOpenAIUpstream(
  options: { name?: string; apiKey?: string } = {},
): Promise<OpenAIUpstream> {
  const name = options.name ?? "openai-mock";
  let behaviour = defaults(name);
  let abortedStreams = 0;
  const requests: RecordedRequest[] = [];

  const server = createServer(async (req, res) => {
    const receivedAt = Date.now();
    // biome-ignore lint/suspicious/noExplicitAny: request bodies are arbitrary JSON.
    const body = (await readBody(req)) as any;
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, receivedAt, body });
    if (behaviour.delayMs > 0) await sleep(behaviour.delayMs);
    if (behaviour.dropConnection) {
      req.socket.destroy();
      return;
    }
    if (options.apiKey !== undefined) {
      const given = req.headers.authorization?.replace(/^Bearer /, "") ?? req.headers["api-key"];
      if (given !== options.apiKey) {
        json(res, 401, {
          error: {
            message: "Incorrect API key provided",
            type: "invalid_request_error",
            code: "invalid_api_key",
          },
        });
        return;
      }
    }
    if (behaviour.failNext > 0) {
      behaviour.failNext -= 1;
      const headers: Record<string, string> =
        behaviour.retryAfterSeconds === undefined
          ? {}
          : { "retry-after": String(behaviour.retryAfterSeconds) };
      json(
        res,
        behaviour.failStatus,
        { error: { message: behaviour.failMessage, type: "server_error", code: null } },
        headers,
      );
      return;
    }
    const path = (req.url ?? "").split("?")[0] ?? "";
    const prompt = JSON.stringify(body?.messages ?? body?.prompt ?? body?.input ?? "");
    const counted = usageFor(prompt, behaviour.reply);
    const completion = behaviour.completionTokens?.(body) ?? counted.completion_tokens;
    const promptTokens = behaviour.promptTokens?.(body) ?? counted.prompt_tokens;
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completion,
      total_tokens: promptTokens + completion,
    };
    const created = Math.floor(Date.now() / 1000);
    if (path.endsWith("/responses")) {
      await answerResponses(body, res, behaviour, usage, () => {
        abortedStreams += 1;
      });
      return;
    }
    if (path.endsWith("/embeddings")) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      json(res, 200, {
        object: "list",
        data: inputs.map((_: unknown, index: number) => ({
          object: "embedding",
          index,
          embedding:
            body.encoding_format === "base64"
              ? Buffer.from(new Float32Array([0.5, 0.25, 0.125]).buffer).toString("base64")
              : [0.5, 0.25, 0.125],
        })),
        model: body.model,
        usage: { prompt_tokens: usage.prompt_tokens, total_tokens: usage.prompt_tokens },
      });
      return;
    }
    const isChat = path.endsWith("/chat/completions");
    const id = isChat ? "chatcmpl-mock" : "cmpl-mock";
    const object = isChat ? "chat.completion" : "text_completion";
    const toolCall = behaviour.toolCall;
    if (!body.stream) {
      const choice = isChat
        ? {
            index: 0,
            message: toolCall
              ? {
                  role: "assistant",
                  content: null,
                  tool_calls: [{ id: "call_1", type: "function", function: toolCall }],
                }
              : { role: "assistant", content: behaviour.reply },
            finish_reason: toolCall ? "tool_calls" : "stop",
            logprobs: null,
          }
        : { index: 0, text: behaviour.reply, finish_reason: "stop", logprobs: null };
      json(res, 200, { id, object, created, model: body.model, choices: [choice], usage });
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    let finished = false;
    res.on("close", () => {
      if (!finished) abortedStreams += 1;
    });
    const chunkObject = isChat ? "chat.completion.chunk" : "text_completion";
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const pieces = toolCall ? [] : behaviour.reply.split(/(?<= )/);
    if (toolCall) {
      send({
        id,
        object: chunkObject,
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            delta: {
              role: "assistant",
              tool_calls: [
                {
                  index: 0,
                  id: "call_1",
                  type: "function",
                  function: { name: toolCall.name, arguments: "" },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      });
      send({
        id,
        object: chunkObject,
        created,
        model: body.model,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: toolCall.arguments } }] },
            finish_reason: null,
          },
        ],
      });
    }
    for (const [i, piece] of pieces.entries()) {
      if (res.destroyed) return;
      if (behaviour.chunkDelayMs > 0) await sleep(behaviour.chunkDelayMs);
      const choice = isChat
        ? {
            index: 0,
            delta: i === 0 ? { role: "assistant", content: piece } : { content: piece },
            finish_reason: null,
          }
        : { index: 0, text: piece, finish_reason: null };
      send({ id, object: chunkObject, created, model: body.model, choices: [choice] });
    }
    if (res.destroyed) return;
    const last = isChat
      ? { index: 0, delta: {}, finish_reason: toolCall ? "tool_calls" : "stop" }
      : { index: 0, text: "", finish_reason: "stop" };
    send({ id, object: chunkObject, created, model: body.model, choices: [last] });
    if (behaviour.usageDelayMs > 0) await sleep(behaviour.usageDelayMs);
    if (res.destroyed) return;
    if (body.stream_options?.include_usage && !behaviour.omitUsage)
      send({ id, object: chunkObject, created, model: body.model, choices: [], usage });
    res.write("data: [DONE]\n\n");
    finished = true;
    res.end();
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setBehaviour(next) {
      behaviour = { ...behaviour, ...next };
    },
    get abortedStreams() {
      return abortedStreams;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
