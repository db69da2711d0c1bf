import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EventStreamCodec } from "@smithy/eventstream-codec";

export interface BedrockBehaviour {
  reply: string;
  /** Answer with this tool call instead of text. */
  toolUse?: { name: string; input: Record<string, unknown> };
  /** How many of the next requests fail with `failException` (HTTP). */
  failNext: number;
  failException: { name: string; status: number };
  retryAfterSeconds?: number;
  /** A stream that sends this exception event after its first content instead of finishing. */
  streamException?: string;
}

export interface RecordedRequest {
  path: string;
  modelId: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of the translated request.
  body: any;
}

export interface BedrockUpstream {
  url: string;
  requests: RecordedRequest[];
  setBehaviour(behaviour: Partial<BedrockBehaviour>): void;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The AWS SDK's own event-stream codec, so the frames are exactly what Bedrock sends. */
const codec = new EventStreamCodec(
  (bytes) => decoder.decode(bytes),
  (text) => encoder.encode(text),
);

const header = (value: string) => ({ type: "string" as const, value });

function eventFrame(type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": header(type),
      ":content-type": header("application/json"),
      ":message-type": header("event"),
    },
    body: encoder.encode(JSON.stringify(payload)),
  });
}

function exceptionFrame(type: string, message: string): Uint8Array {
  return codec.encode({
    headers: {
      ":exception-type": header(type),
      ":content-type": header("application/json"),
      ":message-type": header("exception"),
    },
    body: encoder.encode(JSON.stringify({ message })),
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-amzn-requestid": "req-bedrock-mock",
    ...headers,
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/;

/**
 * A loopback stand-in for Bedrock Runtime speaking its wire format: Converse and ConverseStream
 * (the binary event stream), InvokeModel and InvokeModelWithResponseStream for Claude (Anthropic's
 * Messages format, its events base64 in `chunk` frames) and Titan embeddings, and Bedrock's
 * errors (`x-amzn-errortype`). Requests must be SigV4-signed for service `bedrock`.
 */
export async function startBedrockUpstream(): Promise<BedrockUpstream> {
  const behaviour: BedrockBehaviour = {
    reply: "Hello from bedrock",
    failNext: 0,
    failException: { name: "ThrottlingException", status: 429 },
  };
  const requests: RecordedRequest[] = [];
  let sequence = 0;

  function converse(res: ServerResponse, stream: boolean) {
    const usage = { inputTokens: 12, outputTokens: 5, totalTokens: 17, cacheReadInputTokens: 3 };
    const toolUse = behaviour.toolUse;
    const id = `tooluse_${++sequence}`;
    const stopReason = toolUse === undefined ? "end_turn" : "tool_use";
    if (!stream) {
      const content =
        toolUse === undefined ? [{ text: behaviour.reply }] : [{ toolUse: { toolUseId: id, ...toolUse } }];
      return sendJson(res, 200, {
        output: { message: { role: "assistant", content } },
        stopReason,
        usage,
        metrics: { latencyMs: 42 },
      });
    }
    const frames: Uint8Array[] = [eventFrame("messageStart", { role: "assistant" })];
    if (toolUse === undefined) {
      for (const text of behaviour.reply.split(/(?=\s)/))
        frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text } }));
    } else {
      frames.push(
        eventFrame("contentBlockStart", {
          contentBlockIndex: 0,
          start: { toolUse: { toolUseId: id, name: toolUse.name } },
        }),
      );
      const json = JSON.stringify(toolUse.input);
      for (const input of json.match(/[\s\S]{1,6}/g) ?? [])
        frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { toolUse: { input } } }));
    }
    if (behaviour.streamException !== undefined) {
      frames.splice(2);
      frames.push(exceptionFrame(behaviour.streamException, "simulated mid-stream failure"));
    } else {
      frames.push(eventFrame("contentBlockStop", { contentBlockIndex: 0 }));
      frames.push(eventFrame("messageStop", { stopReason }));
      frames.push(eventFrame("metadata", { usage, metrics: { latencyMs: 42 } }));
    }
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
    for (const frame of frames) res.write(frame);
    res.end();
  }

  function invoke(res: ServerResponse, modelId: string, body: Record<string, unknown>, stream: boolean) {
    if (modelId.includes("titan-embed")) {
      return sendJson(res, 200, {
        embedding: [0.1, 0.2, String(body.inputText).length],
        inputTextTokenCount: 3,
      });
    }
    if (modelId.includes("cohere.embed")) {
      // Cohere Embed v3's InvokeModel answer: one float list per text, no token count.
      const texts = (body.texts ?? []) as string[];
      return sendJson(res, 200, {
        id: "emb-1",
        response_type: "embeddings_floats",
        texts,
        embeddings: texts.map((text, index) => [index, text.length, 0.5]),
      });
    }
    sequence += 1;
    const toolUse = behaviour.toolUse;
    const block =
      toolUse === undefined
        ? { type: "text", text: behaviour.reply }
        : { type: "tool_use", id: `toolu_bdrk_${sequence}`, name: toolUse.name, input: toolUse.input };
    const stopReason = toolUse === undefined ? "end_turn" : "tool_use";
    const message = {
      id: `msg_bdrk_${sequence}`,
      type: "message",
      role: "assistant",
      model: "claude-3-5-sonnet-20240620",
      content: [block],
      stop_reason: stopReason,
      usage: { input_tokens: 30, output_tokens: 9 },
    };
    if (!stream) return sendJson(res, 200, message);
    const delta =
      toolUse === undefined
        ? { type: "text_delta", text: behaviour.reply }
        : { type: "input_json_delta", partial_json: JSON.stringify(toolUse.input) };
    const events: object[] = [
      {
        type: "message_start",
        message: { ...message, content: [], usage: { input_tokens: 30, output_tokens: 1 } },
      },
      {
        type: "content_block_start",
        index: 0,
        content_block: toolUse === undefined ? { type: "text", text: "" } : { ...block, input: {} },
      },
      { type: "content_block_delta", index: 0, delta },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: stopReason }, usage: { output_tokens: 9 } },
      {
        type: "message_stop",
        "amazon-bedrock-invocationMetrics": { inputTokenCount: 30, outputTokenCount: 9 },
      },
    ];
    res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream" });
    for (const event of events)
      res.write(eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(event)).toString("base64") }));
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = req.url ?? "";
    const match = PATH.exec(path);
    const modelId = decodeURIComponent(match?.[1] ?? "");
    // biome-ignore lint/suspicious/noExplicitAny: the body is whatever the client sent.
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    requests.push({ path, modelId, headers: req.headers, body });
    if (match === null)
      return sendJson(
        res,
        404,
        { message: `No route ${path}` },
        { "x-amzn-errortype": "UnknownOperationException" },
      );
    const auth = String(req.headers.authorization ?? "");
    if (
      !/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/[a-z0-9-]+\/bedrock\/aws4_request, SignedHeaders=.+, Signature=[0-9a-f]{64}$/.test(
        auth,
      ) &&
      !auth.startsWith("Bearer ")
    )
      return sendJson(
        res,
        403,
        { message: "Missing Authentication Token" },
        { "x-amzn-errortype": "AccessDeniedException" },
      );
    if (behaviour.failNext > 0) {
      behaviour.failNext -= 1;
      const { name, status } = behaviour.failException;
      const headers: Record<string, string> = {
        "x-amzn-errortype": `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
      };
      if (behaviour.retryAfterSeconds !== undefined)
        headers["retry-after"] = String(behaviour.retryAfterSeconds);
      return sendJson(
        res,
        status,
        { message: "Too many requests, please wait before trying again." },
        headers,
      );
    }
    const operation = match[2];
    if (operation === "converse" || operation === "converse-stream")
      return converse(res, operation === "converse-stream");
    return invoke(res, modelId, body, operation === "invoke-with-response-stream");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendJson(res, 500, { message: String(error) }, { "x-amzn-errortype": "InternalServerException" });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setBehaviour: (next) => Object.assign(behaviour, next),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
