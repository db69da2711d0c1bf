import { createPublicKey, createVerify, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GoogleBehaviour {
  reply: string;
  /** Answer with this function call (Gemini) or tool_use block (Claude on Vertex) instead of text. */
  toolCall?: { name: string; args: Record<string, unknown> };
  /** How many of the next requests fail with `failStatus`. */
  failNext: number;
  failStatus: number;
  /** Sent as Google sends it: a RetryInfo detail in the error body, never a header. */
  retryDelaySeconds?: number;
  /** The prompt is blocked: no candidates, `promptFeedback.blockReason`. */
  blockPrompt?: string;
  finishReason: string;
  /** A stream that ends after its first event, before any finishReason. */
  truncateStream: boolean;
}

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of the translated request.
  body: any;
}

export interface GoogleUpstream {
  url: string;
  requests: RecordedRequest[];
  setBehaviour(behaviour: Partial<GoogleBehaviour>): void;
  close(): Promise<void>;
}

const STATUS_NAMES = new Map([
  [400, "INVALID_ARGUMENT"],
  [401, "UNAUTHENTICATED"],
  [403, "PERMISSION_DENIED"],
  [404, "NOT_FOUND"],
  [429, "RESOURCE_EXHAUSTED"],
  [500, "INTERNAL"],
  [503, "UNAVAILABLE"],
]);

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, retryDelaySeconds?: number) {
  const details =
    retryDelaySeconds === undefined
      ? []
      : [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryDelaySeconds}s` }];
  sendJson(res, status, { error: { code: status, message, status: STATUS_NAMES.get(status), details } });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Checks a self-signed service-account JWT (RS256) against the key's public half. */
function verifiesJwt(authorization: string | undefined, key: KeyObject, email: string): boolean {
  const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  const [header, payload, signature] = token?.split(".") ?? [];
  if (header === undefined || payload === undefined || signature === undefined) return false;
  const verify = createVerify("RSA-SHA256");
  verify.update(`${header}.${payload}`);
  if (!verify.verify(key, Buffer.from(signature, "base64url"))) return false;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  return claims.iss === email && claims.sub === email && (claims.exp as number) > Date.now() / 1000;
}

const GEMINI_PATH =
  /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)(\?alt=sse)?$/;
const VERTEX_PATH =
  /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(generateContent|streamGenerateContent|predict|rawPredict|streamRawPredict)(\?alt=sse)?$/;

/**
 * A loopback stand-in for Google's model APIs speaking their documented wire formats: the Gemini
 * API (`x-goog-api-key`) and Vertex AI (a bearer token, checked as the service account's JWT when
 * given its public key), generateContent with its SSE stream, embeddings, and Claude on Vertex AI
 * (Anthropic's Messages format through rawPredict / streamRawPredict).
 */
export async function startGoogleUpstream(options: {
  apiKey: string;
  serviceAccount?: { email: string; privateKeyPem: string };
}): Promise<GoogleUpstream> {
  const behaviour: GoogleBehaviour = {
    reply: "Hello from google",
    failNext: 0,
    failStatus: 500,
    finishReason: "STOP",
    truncateStream: false,
  };
  const publicKey =
    options.serviceAccount === undefined ? undefined : createPublicKey(options.serviceAccount.privateKeyPem);
  const requests: RecordedRequest[] = [];
  let sequence = 0;

  const usage = (body: unknown) => ({
    promptTokenCount: Math.ceil(JSON.stringify(body).length / 4),
    candidatesTokenCount: behaviour.reply.split(" ").length,
    thoughtsTokenCount: 2,
    totalTokenCount: 0,
  });

  function geminiParts(): Record<string, unknown>[] {
    if (behaviour.toolCall !== undefined)
      return [
        {
          functionCall: { name: behaviour.toolCall.name, args: behaviour.toolCall.args },
          thoughtSignature: "c2lnbmF0dXJl",
        },
      ];
    return [{ text: "Thinking it over.", thought: true }, { text: behaviour.reply }];
  }

  function generate(res: ServerResponse, body: unknown, stream: boolean) {
    sequence += 1;
    const responseId = `resp-${sequence}`;
    const blocked = behaviour.blockPrompt;
    const final = {
      candidates: blocked
        ? undefined
        : [
            {
              content: { role: "model", parts: geminiParts() },
              finishReason: behaviour.finishReason,
              index: 0,
            },
          ],
      promptFeedback: blocked ? { blockReason: blocked } : undefined,
      usageMetadata: usage(body),
      modelVersion: "gemini-2.5-flash",
      responseId,
    };
    if (!stream) return sendJson(res, 200, final);
    res.writeHead(200, { "content-type": "text/event-stream" });
    if (blocked) {
      res.end(`data: ${JSON.stringify(final)}\r\n\r\n`);
      return;
    }
    const events: unknown[] = [];
    if (behaviour.toolCall === undefined) {
      const words = behaviour.reply.split(/(?=\s)/);
      events.push(
        ...words.map((text) => ({
          candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }],
          responseId,
          modelVersion: "gemini-2.5-flash",
        })),
      );
      events.push({
        candidates: [
          {
            content: { role: "model", parts: [{ text: "" }] },
            finishReason: behaviour.finishReason,
            index: 0,
          },
        ],
        usageMetadata: usage(body),
        responseId,
      });
    } else {
      events.push(final);
    }
    const sent = behaviour.truncateStream ? events.slice(0, 1) : events;
    res.end(sent.map((event) => `data: ${JSON.stringify(event)}\r\n\r\n`).join(""));
  }

  function claude(res: ServerResponse, stream: boolean) {
    sequence += 1;
    const block =
      behaviour.toolCall === undefined
        ? { type: "text", text: behaviour.reply }
        : {
            type: "tool_use",
            id: `toolu_${sequence}`,
            name: behaviour.toolCall.name,
            input: behaviour.toolCall.args,
          };
    const stopReason = behaviour.toolCall === undefined ? "end_turn" : "tool_use";
    const message = {
      id: `msg_vrtx_${sequence}`,
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [block],
      stop_reason: stopReason,
      usage: { input_tokens: 21, output_tokens: 7 },
    };
    if (!stream) return sendJson(res, 200, message);
    const delta =
      block.type === "text"
        ? { type: "text_delta", text: behaviour.reply }
        : { type: "input_json_delta", partial_json: JSON.stringify(behaviour.toolCall?.args) };
    const start = block.type === "text" ? { type: "text", text: "" } : { ...block, input: {} };
    const events: [string, object][] = [
      [
        "message_start",
        { message: { ...message, content: [], usage: { input_tokens: 21, output_tokens: 1 } } },
      ],
      ["content_block_start", { index: 0, content_block: start }],
      ["content_block_delta", { index: 0, delta }],
      ["content_block_stop", { index: 0 }],
      ["message_delta", { delta: { stop_reason: stopReason }, usage: { output_tokens: 7 } }],
      ["message_stop", {}],
    ];
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(
      events.map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`).join(""),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // biome-ignore lint/suspicious/noExplicitAny: the body is whatever the client sent.
    const body: any = await readJson(req);
    const path = req.url ?? "";
    requests.push({ path, headers: req.headers, body });
    const gemini = GEMINI_PATH.exec(path);
    const vertex = VERTEX_PATH.exec(path);
    if (gemini === null && vertex === null) return sendError(res, 404, `No route ${path}`);
    if (gemini !== null && req.headers["x-goog-api-key"] !== options.apiKey)
      return sendError(res, 400, "API key not valid. Please pass a valid API key.");
    if (vertex !== null) {
      const authorization = req.headers.authorization;
      const valid =
        publicKey === undefined || options.serviceAccount === undefined
          ? authorization?.startsWith("Bearer ")
          : verifiesJwt(authorization, publicKey, options.serviceAccount.email);
      if (!valid) return sendError(res, 401, "Request had invalid authentication credentials.");
    }
    if (behaviour.failNext > 0) {
      behaviour.failNext -= 1;
      return sendError(res, behaviour.failStatus, "simulated failure", behaviour.retryDelaySeconds);
    }
    const action = (gemini?.[2] ?? vertex?.[5]) as string;
    if (action === "batchEmbedContents")
      return sendJson(res, 200, {
        embeddings: body.requests.map((_: unknown, i: number) => ({ values: [i, 0.5, -0.5] })),
      });
    if (action === "predict")
      return sendJson(res, 200, {
        predictions: body.instances.map((_: unknown, i: number) => ({
          embeddings: { values: [i, 0.25, -0.25], statistics: { token_count: 4, truncated: false } },
        })),
      });
    if (action === "rawPredict" || action === "streamRawPredict")
      return claude(res, action === "streamRawPredict");
    return generate(res, body, action === "streamGenerateContent");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, String(error));
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
