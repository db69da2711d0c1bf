import type { LookupFunction } from "node:net";
import { Readable } from "node:stream";
import { Agent, type Dispatcher } from "undici";
import type { OutboundPolicy } from "../../shared/http/outbound-url-policy";
import type { UpstreamHttp } from "./deps";
import { guardedConnector } from "./outbound-connect";

type Body = Dispatcher.ResponseData["body"];

/**
 * The slice of `fetch` the providers use (POST, headers, body, signal → status, headers, text(),
 * body stream), over undici's `request` API. WHATWG fetch in Node spends most of a proxy's CPU on
 * spec machinery (WebIDL conversions, extra stream layers); this keeps the same contract for the
 * providers while costing a fraction of it. Only the Node entry uses it; other runtimes pass their
 * own native fetch.
 */
class UpstreamResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: Headers;
  readonly #body: Body;
  #stream: ReadableStream<Uint8Array> | undefined;

  constructor(data: Dispatcher.ResponseData) {
    this.status = data.statusCode;
    this.ok = data.statusCode >= 200 && data.statusCode < 300;
    this.headers = new Headers();
    for (const [name, value] of Object.entries(data.headers)) {
      if (Array.isArray(value)) for (const v of value) this.headers.append(name, v);
      else if (value !== undefined) this.headers.set(name, value);
    }
    this.#body = data.body;
  }

  text(): Promise<string> {
    return this.#body.text();
  }

  json(): Promise<unknown> {
    return this.#body.json();
  }

  get body(): ReadableStream<Uint8Array> {
    this.#stream ??= Readable.toWeb(this.#body) as ReadableStream<Uint8Array>;
    return this.#stream;
  }
}

export function undiciRequestFetch(dispatcher: Dispatcher): typeof fetch {
  return (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const data = await dispatcher.request({
      origin: new URL(url).origin,
      path: url.slice(new URL(url).origin.length) || "/",
      method: (init.method ?? "GET") as Dispatcher.HttpMethod,
      headers: init.headers as Record<string, string>,
      body: init.body as string | undefined,
      signal: init.signal ?? undefined,
    });
    return new UpstreamResponse(data) as unknown as Response;
  }) as typeof fetch;
}

export interface UndiciUpstreamOptions {
  /** Keep-alive connections per upstream origin. */
  readonly connections: number;
  /** Checked again at connect time, on the addresses a host name resolves to. */
  readonly outbound: OutboundPolicy;
  /** DNS resolution; Node's `dns.lookup` unless a test resolves names itself. */
  readonly lookup?: LookupFunction;
}

/**
 * One pooled keep-alive agent for every upstream call of a long-lived Node process. undici's
 * `request` never follows redirects: a 3xx reaches the provider code as it is.
 */
export function undiciUpstream({ connections, outbound, lookup }: UndiciUpstreamOptions): UpstreamHttp {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections,
    connect: guardedConnector(outbound, lookup),
  });
  return { fetch: undiciRequestFetch(agent), close: () => agent.close() };
}
