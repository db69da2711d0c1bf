import { createServer } from "node:http";

/**
 * The OTLP/HTTP receiver the traced gateway exports to: it reads each export whole and answers 200
 * with an empty body (what a collector answers on success), counting the bytes, so the bench
 * measures what tracing costs the gateway rather than what a collector costs.
 */
const port = Number(process.env.PORT ?? 0);
let exports = 0;
let bytes = 0;

createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ exports, bytes }));
    return;
  }
  req.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
  });
  req.on("end", () => {
    exports += 1;
    res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/x-protobuf" });
    res.end();
  });
}).listen(port, "127.0.0.1");
