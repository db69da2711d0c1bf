import { createServer } from "node:http";

/**
 * The trivial upstream every target ends at: one fixed chat.completion (or the same answer as a
 * short SSE stream when the body asks for `"stream":true`), answered as cheaply as node:http
 * allows, so the bench measures the hops in front of it rather than this server.
 */
const port = Number(process.env.PORT ?? 0);

const usage = { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 };
const reply = Buffer.from(
  JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 1_700_000_000,
    model: "bench-model",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello from the bench upstream." },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage,
  }),
);
const replyHeaders = { "content-type": "application/json", "content-length": String(reply.length) };

const chunk = (delta: object, finish: string | null, withUsage = false) =>
  `data: ${JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "bench-model",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage } : {}),
  })}\n\n`;
const stream = Buffer.from(
  [
    chunk({ role: "assistant", content: "" }, null),
    ...["Hello ", "from ", "the ", "bench ", "upstream."].map((content) => chunk({ content }, null)),
    chunk({}, "stop", true),
    "data: [DONE]\n\n",
  ].join(""),
);
const streamHeaders = { "content-type": "text/event-stream", "content-length": String(stream.length) };
const STREAM_FLAG = Buffer.from('"stream":true');

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404).end();
    return;
  }
  // Answer only once the body is consumed, as a real upstream would; the socket stays reusable.
  let streamed = false;
  req.on("data", (data: Buffer) => {
    if (!streamed && data.includes(STREAM_FLAG)) streamed = true;
  });
  req.once("end", () => {
    if (streamed) res.writeHead(200, streamHeaders).end(stream);
    else res.writeHead(200, replyHeaders).end(reply);
  });
});
// Longer than any gap between bench phases, so no phase pays for reconnecting.
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1");

// The bench talks to this process over IPC only to notice its death: an orphan would hold the port.
process.on("disconnect", () => process.exit(0));
