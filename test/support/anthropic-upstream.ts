import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface Behaviour {
  reply: string;
  delayMs: number;
  /** Pause between stream events. */
  chunkDelayMs: number;
  /** How many of the next requests fail with `failStatus`. */
  failNext: number;
  failStatus: number;
  retryAfterSeconds?: number;
  /** Answer with this tool_use block (stop_reason tool_use) instead of text. */
  toolUse?: { name: string; input: unknown };
}

export interface RecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields of the translated request.
  body: any;
}

export interface AnthropicUpstream {
  url: string;
  requests: RecordedRequest[];
  setBehaviour(behaviour: Partial<Behaviour>): void;
  /** Streams the client disconnected from before the last event. */
  readonly abortedStreams: number;
  close(): Promise<void>;
}

const ERROR_TYPES = new Map([
  [400, "invalid_request_error"],
  [401, "authentication_error"],
  [403, "permission_error"],
  [404, "not_found_error"],
  [413, "request_too_large"],
  [429, "rate_limit_error"],
  [529, "overloaded_error"],
]);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "request-id": "req_mock", ...headers });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>) {
  const type = ERROR_TYPES.get(status) ?? "api_error";
  sendJson(res, status, { type: "error", error: { type, message } }, headers);
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

/** The answer's content block, plus its streamed form: the block as first announced, then its deltas. */
function contentOf({ reply, toolUse }: Behaviour, id: number) {
  if (toolUse === undefined) {
    // Split before whitespace, like model tokens, so the pieces join back into the reply.
    const deltas = reply.split(/(?=\s)/).map((text) => ({ type: "text_delta", text }));
    return {
      block: { type: "text", text: reply },
      start: { type: "text", text: "" },
      deltas,
      stopReason: "end_turn",
    };
  }
  const json = JSON.stringify(toolUse.input) ?? "{}";
  const deltas = (json.match(/[\s\S]{1,8}/g) ?? []).map((partial_json) => ({
    type: "input_json_delta",
    partial_json,
  }));
  const block = { type: "tool_use", id: `toolu_${id}`, ...toolUse };
  return { block, start: { ...block, input: {} }, deltas, stopReason: "tool_use" };
}

/** A loopback stand-in for the Anthropic Messages API speaking its real wire format, for integration tests. */
export async function startAnthropicUpstream(options: { name?: string } = {}): Promise<AnthropicUpstream> {
  const name = options.name ?? "anthropic-mock";
  const behaviour: Behaviour = {
    reply: `Hello from ${name}`,
    delayMs: 0,
    chunkDelayMs: 0,
    failNext: 0,
    failStatus: 500,
  };
  const requests: RecordedRequest[] = [];
  let abortedStreams = 0;
  let sequence = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // biome-ignore lint/suspicious/noExplicitAny: the body is whatever the client sent.
    const body: any = await readJson(req);
    requests.push({ path: req.url ?? "", headers: req.headers, body });
    if (req.method !== "POST" || req.url !== "/v1/messages")
      return sendError(res, 404, `No route ${req.url}`);
    if (!req.headers["x-api-key"]) return sendError(res, 401, "x-api-key header is required");
    if (!req.headers["anthropic-version"]) return sendError(res, 400, "anthropic-version header is required");
    if (typeof body?.max_tokens !== "number") return sendError(res, 400, "max_tokens: Field required");
    if (behaviour.failNext > 0) {
      behaviour.failNext -= 1;
      const retryAfter = behaviour.retryAfterSeconds;
      const headers: Record<string, string> =
        retryAfter === undefined ? {} : { "retry-after": String(retryAfter) };
      return sendError(res, behaviour.failStatus, `${name} simulated failure`, headers);
    }
    if (body.stream === true) {
      res.once("close", () => {
        if (!res.writableEnded) abortedStreams += 1;
      });
    }
    if (behaviour.delayMs > 0) await sleep(behaviour.delayMs);
    if (res.destroyed) return;

    sequence += 1;
    const content = contentOf(behaviour, sequence);
    const inputTokens = Math.ceil(JSON.stringify([body.system, body.messages]).length / 4);
    const usage = { input_tokens: inputTokens, output_tokens: content.deltas.length };
    const message = {
      id: `msg_${name}_${sequence}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [content.block],
      stop_reason: content.stopReason,
      stop_sequence: null,
      usage,
    };
    if (body.stream !== true) return sendJson(res, 200, message);

    const events: Array<[string, object]> = [
      [
        "message_start",
        { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } },
      ],
      ["content_block_start", { index: 0, content_block: content.start }],
      ["ping", {}],
      ...content.deltas.map((delta): [string, object] => ["content_block_delta", { index: 0, delta }]),
      ["content_block_stop", { index: 0 }],
      [
        "message_delta",
        {
          delta: { stop_reason: content.stopReason, stop_sequence: null },
          usage: { output_tokens: usage.output_tokens },
        },
      ],
      ["message_stop", {}],
    ];
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    for (const [index, [event, data]] of events.entries()) {
      if (index > 0 && behaviour.chunkDelayMs > 0) await sleep(behaviour.chunkDelayMs);
      if (res.destroyed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    }
    res.end();
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
    get abortedStreams() {
      return abortedStreams;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
