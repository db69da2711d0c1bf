import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { unrefTimer } from "../async/unref-timer";
import { authHeaders } from "../registered-upstreams/auth";
import { OAuth2Tokens } from "./oauth2-tokens";
import type { McpServer } from "./server-spec";

const CLIENT_INFO = { name: "routeiq-mcp-gateway", version: "1" };
const BROKEN: ReadonlySet<number> = new Set([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]);

export interface McpUpstreamsOptions {
  /** Bounded, and in Node guarded at connect time (functions/gateway/guarded-fetch.ts). */
  readonly fetch: typeof fetch;
  /** Longest one upstream request (list, call) may take. */
  readonly requestTimeoutMs: number;
}

/** `fetch` that carries the server's OAuth2 bearer token, when it has an OAuth2 client. */
function authorized(server: McpServer, fetchImpl: typeof fetch, tokens: OAuth2Tokens): typeof fetch {
  const client = server.authType === "oauth2" ? server.credentials.oauth2 : undefined;
  if (client === undefined) return fetchImpl;
  return async (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${await tokens.token(client)}`);
    const response = await fetchImpl(input, { ...init, headers });
    if (response.status === 401) tokens.invalidate(client);
    return response;
  };
}

function transportFor(server: McpServer, fetchImpl: typeof fetch, tokens: OAuth2Tokens): Transport {
  const url = new URL(server.url);
  const requestInit: RequestInit = {
    headers: authHeaders(server.authType, server.credentials),
    redirect: "manual",
  };
  const fetch = authorized(server, fetchImpl, tokens);
  return server.transport === "sse"
    ? new SSEClientTransport(url, { fetch, requestInit })
    : new StreamableHTTPClientTransport(url, { fetch, requestInit });
}

/**
 * One connected MCP client per upstream server and replica, reused across requests and replaced
 * when the server's registration changes or the connection fails. What each server answered last
 * (reachable or not) is kept for readiness and the health route.
 */
export class McpUpstreams {
  readonly #options: McpUpstreamsOptions;
  readonly #clients = new Map<string, { readonly fingerprint: string; readonly client: Promise<Client> }>();
  readonly #failing = new Map<string, string>();
  /** Clients dropped from the pool after a failure, closed once their calls in flight had their time. */
  readonly #retiring = new Set<Promise<Client>>();
  readonly #tokens: OAuth2Tokens;

  constructor(options: McpUpstreamsOptions) {
    this.#options = options;
    this.#tokens = new OAuth2Tokens(options.fetch, Date.now, options.requestTimeoutMs);
  }

  get requestTimeoutMs(): number {
    return this.#options.requestTimeoutMs;
  }

  /** Runs `use` with the server's client; a failure drops the client, so the next call reconnects. */
  async with<T>(server: McpServer, use: (client: Client) => Promise<T>): Promise<T> {
    const fingerprint = JSON.stringify(server);
    let entry = this.#clients.get(server.name);
    if (entry?.fingerprint !== fingerprint) {
      if (entry !== undefined) void entry.client.then((c) => c.close()).catch(() => {});
      entry = { fingerprint, client: this.#connect(server) };
      this.#clients.set(server.name, entry);
    }
    const current = entry;
    try {
      const result = await use(await current.client);
      this.#failing.delete(server.name);
      return result;
    } catch (error) {
      // The server answered (an unknown method, a bad argument): the connection is fine.
      if (error instanceof McpError && !BROKEN.has(error.code)) throw error;
      if (this.#clients.get(server.name) === current) this.#clients.delete(server.name);
      this.#retire(current.client);
      this.#failing.set(server.name, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  /** A fresh connection and a ping, for the health route: never the pooled client. */
  async probe(server: McpServer): Promise<void> {
    const client = await this.#connect(server);
    try {
      await client.ping({ timeout: this.#options.requestTimeoutMs });
      this.#failing.delete(server.name);
    } finally {
      await client.close().catch(() => {});
    }
  }

  markFailing(name: string, error: unknown): void {
    this.#failing.set(name, error instanceof Error ? error.message : String(error));
  }

  /** Servers whose last call or probe failed, with why. */
  failing(): ReadonlyMap<string, string> {
    return this.#failing;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()].map((e) => e.client);
    this.#clients.clear();
    clients.push(...this.#retiring);
    this.#retiring.clear();
    await Promise.all(clients.map((client) => client.then((c) => c.close()).catch(() => {})));
  }

  /**
   * A pooled client a call failed on: new calls already get a fresh one; this one is closed once
   * the calls other keys have in flight on it have had their time (requestTimeoutMs). Closing it
   * at once failed them all, so one key's call timing out (its tool slow on its own arguments)
   * failed every other key's call to that server, each counted as the server failing.
   */
  #retire(client: Promise<Client>): void {
    this.#retiring.add(client);
    const close = () => {
      if (!this.#retiring.delete(client)) return;
      void client.then((c) => c.close()).catch(() => {});
    };
    unrefTimer(setTimeout(close, this.#options.requestTimeoutMs));
  }

  async #connect(server: McpServer): Promise<Client> {
    const client = new Client(CLIENT_INFO);
    await client.connect(transportFor(server, this.#options.fetch, this.#tokens), {
      timeout: this.#options.requestTimeoutMs,
    });
    return client;
  }
}
