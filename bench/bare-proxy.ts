import { createServer, type IncomingHttpHeaders } from "node:http";
import { pipeline } from "node:stream/promises";
import { Pool } from "undici";

/**
 * The floor: the least a Node keep-alive proxy can do per request (stream the body to the
 * upstream over a pooled connection, stream the answer back). The gateway is judged against it.
 */
const port = Number(process.env.PORT ?? 0);
const upstream = process.env.UPSTREAM_URL;
if (upstream === undefined) throw new Error("UPSTREAM_URL is required");

// Same pool shape as the gateway's Agent, so the comparison is about the work, not the pool.
const pool = new Pool(upstream, { connections: 256, keepAliveTimeout: 30_000 });

// Hop-by-hop headers describe the upstream connection, not the client's.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"]);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

const server = createServer(async (req, res) => {
  try {
    const { headers: reqHeaders } = req;
    const upstreamRes = await pool.request({
      method: "POST",
      path: req.url ?? "/",
      headers: {
        "content-type": reqHeaders["content-type"] ?? "application/json",
        ...(reqHeaders["content-length"] === undefined
          ? {}
          : { "content-length": reqHeaders["content-length"] }),
      },
      body: req,
    });
    res.writeHead(upstreamRes.statusCode, endToEnd(upstreamRes.headers));
    await pipeline(upstreamRes.body, res);
  } catch (error) {
    if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
    res.end(error instanceof Error ? error.message : String(error));
  }
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1");

process.on("disconnect", () => process.exit(0));
