import { createServer } from "node:http";

/**
 * The trivial upstream every target ends at: one fixed chat.completion, answered as cheaply as
 * node:http allows, so the bench measures the hops in front of it rather than this server.
 */
const port = Number(process.env.PORT ?? 0);

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
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  }),
);
const replyHeaders = { "content-type": "application/json", "content-length": String(reply.length) };

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
    res.writeHead(404).end();
    return;
  }
  // Answer only once the body is consumed, as a real upstream would; the socket stays reusable.
  req.resume();
  req.once("end", () => res.writeHead(200, replyHeaders).end(reply));
});
// Longer than any gap between bench phases, so no phase pays for reconnecting.
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1");

// The bench talks to this process over IPC only to notice its death: an orphan would hold the port.
process.on("disconnect", () => process.exit(0));
