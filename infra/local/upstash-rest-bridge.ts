import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Redis } from "ioredis";

/**
 * Test and local-dev tooling, never deployed: the part of Upstash's REST API that `@upstash/redis`
 * uses, served in front of a real Redis, so the edge's KV adapter runs its commands (Lua scripts
 * included, with EVAL/EVALSHA and `TIME`) against the same server the region's ioredis uses.
 *
 * - `POST /` with `["CMD", ...args]`, or the path form `/cmd/arg/...`: `{ result }` or `{ error }`;
 * - `POST /pipeline` with `[[...], ...]`: one `{ result }` or `{ error }` per command;
 * - `POST /multi-exec`: the same, as one MULTI/EXEC transaction;
 * - `Authorization: Bearer <token>` required; `Upstash-Encoding: base64` encodes every string.
 *
 * Pub/sub (Upstash's SSE subscribe) is left out: the edge never subscribes.
 */
export interface UpstashBridge {
  /** The REST URL (UPSTASH_REDIS_REST_URL). */
  readonly url: string;
  /** The bearer token it requires (UPSTASH_REDIS_REST_TOKEN). */
  readonly token: string;
  close(): Promise<void>;
}

type Command = readonly (string | number)[];
type Reply = { result: unknown } | { error: string };

/** Above the response cache's largest entry (4 MiB); a runaway client must not fill memory. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return base64 ? value.toString("base64") : value.toString("utf8");
  if (Array.isArray(value)) return value.map((item) => encode(item, base64));
  return value;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((part) => typeof part === "string" || typeof part === "number")
  );
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? undefined : JSON.parse(text);
}

function authorized(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? "");
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startUpstashBridge(options: {
  readonly redisUrl: string;
  readonly token: string;
  readonly host?: string;
  readonly port?: number;
}): Promise<UpstashBridge> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const run = async (command: Command, base64: boolean): Promise<Reply> => {
    try {
      const [name, ...args] = command;
      return { result: encode(await redis.callBuffer(String(name), ...args), base64) };
    } catch (error) {
      return { error: messageOf(error) };
    }
  };
  const transaction = async (commands: readonly Command[], base64: boolean): Promise<Reply[]> => {
    const multi = redis.multi();
    for (const [name, ...args] of commands) multi.callBuffer(String(name), ...args);
    const results = (await multi.exec()) ?? [];
    return results.map(([error, result]) =>
      error ? { error: messageOf(error) } : { result: encode(result, base64) },
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (!authorized(req, options.token)) return send(401, { error: "Unauthorized" });
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const path = new URL(req.url ?? "/", "http://bridge").pathname;
    const body = await readBody(req);
    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(body) || !body.every(isCommand))
        return send(400, { error: "body must be an array of commands" });
      const replies =
        path === "/pipeline"
          ? await Promise.all(body.map((command) => run(command, base64)))
          : await transaction(body, base64);
      return send(200, replies);
    }
    const fromPath = path.split("/").filter(Boolean).map(decodeURIComponent);
    const command = fromPath.length > 0 ? [...fromPath, ...(isCommand(body) ? body : [])] : body;
    if (!isCommand(command)) return send(400, { error: "body must be a command array" });
    const reply = await run(command, base64);
    send("error" in reply ? 400 : 200, reply);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: messageOf(error) }));
    });
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    token: options.token,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      redis.disconnect();
    },
  };
}
