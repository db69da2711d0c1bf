import { Redis } from "@upstash/redis/cloudflare";
import { abortable } from "../abortable";
import type { Kv } from "./port";
import type { KvScript } from "./script";

export interface UpstashKvOptions {
  /** The database's REST URL (UPSTASH_REDIS_REST_URL). */
  readonly url: string;
  /** Its REST token (UPSTASH_REDIS_REST_TOKEN): a secret. */
  readonly token: string;
  /**
   * A command without an answer within this fails, as the TCP adapter's command timeout: callers
   * choose to fail open or closed instead of waiting on a slow network.
   */
  readonly commandTimeoutMs?: number;
}

const shas = new WeakMap<KvScript<unknown>, Promise<string>>();

/** SHA-1 of the script with WebCrypto, which every runtime has (no node:crypto at the edge). */
function shaOf(script: KvScript<unknown>): Promise<string> {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = crypto.subtle
      .digest("SHA-1", new TextEncoder().encode(script.lua))
      .then((digest) =>
        [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(""),
      );
    shas.set(script, sha);
  }
  return sha;
}

const isNoScript = (error: unknown) => error instanceof Error && error.message.includes("NOSCRIPT");

/**
 * Redis over Upstash's REST API: one HTTPS request per command, no connection to keep, so it
 * works from any runtime, Workers included, where a socket cannot outlive the request that opened
 * it. Scripts run as on the TCP adapter (EVALSHA, then EVAL when the server lacks the script),
 * against the same database the region reaches over TCP. Pub/sub needs a connection that stays
 * open, which a Worker cannot hold: `subscribe` refuses, and the edge relies on short cache TTLs.
 */
export function upstashKv(options: UpstashKvOptions): Kv {
  const timeoutMs = options.commandTimeoutMs ?? 1_000;
  const redis = new Redis({
    url: options.url,
    token: options.token,
    // Values are the gateway's own strings (JSON it serialised itself); they must come back as stored.
    automaticDeserialization: false,
    // Fail fast like the TCP adapter; a command is never replayed behind a caller that saw it fail.
    retry: false,
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
    enableAutoPipelining: false,
  });
  let closed = false;
  const open = () => {
    if (closed) throw new Error("kv store is closed");
    return redis;
  };

  return {
    async get(key) {
      const value = await open().get<string>(key);
      return value ?? null;
    },

    async set(key, value, ttlMs) {
      // PX takes a positive integer only; the other adapters round the same way.
      if (ttlMs === undefined) await open().set(key, value);
      else await open().set(key, value, { px: Math.max(1, Math.ceil(ttlMs)) });
    },

    async del(key) {
      await open().del(key);
    },

    async run<R>(
      script: KvScript<R>,
      keys: readonly string[],
      args: readonly (string | number)[],
    ): Promise<R> {
      const client = open();
      const argv = args.map(String);
      try {
        return script.parse(await client.evalsha(await shaOf(script), [...keys], argv));
      } catch (error) {
        // Not cached on this server yet (first use, a restart, a failover): EVAL sends and caches it.
        if (!isNoScript(error)) throw error;
        return script.parse(await client.eval(script.lua, [...keys], argv));
      }
    },

    async publish(channel, message) {
      await open().publish(channel, message);
    },

    async subscribe() {
      throw new Error(
        "upstash kv cannot subscribe: pub/sub needs a connection that stays open, which the REST API does not keep",
      );
    },

    async ping(signal) {
      await abortable(open().ping(), signal);
    },

    async close() {
      closed = true;
    },
  };
}
