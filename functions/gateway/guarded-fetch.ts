import type { LookupFunction } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import type { OutboundPolicy } from "../../shared/http/outbound-url-policy";
import type { UpstreamHttp } from "./deps";
import { guardedConnector } from "./outbound-connect";

export interface GuardedFetchOptions {
  /** Checked again at connect time, on the addresses a host name resolves to (DNS rebinding). */
  readonly outbound: OutboundPolicy;
  /** DNS resolution; Node's `dns.lookup` unless a test resolves names itself. */
  readonly lookup?: LookupFunction;
}

/**
 * WHATWG `fetch` for URLs registered at runtime (MCP servers, A2A agents): every connection goes
 * through the outbound policy against the address it is actually made to, and redirects are never
 * followed (a 3xx reaches the caller as it is), so neither DNS nor an upstream can point the
 * gateway at a refused address after the URL itself was checked.
 */
export function guardedFetch({ outbound, lookup }: GuardedFetchOptions): UpstreamHttp {
  const agent = new Agent({ keepAliveTimeout: 30_000, connect: guardedConnector(outbound, lookup) });
  const call = (input: RequestInfo | URL, init: RequestInit = {}) =>
    undiciFetch(input instanceof Request ? input.url : input, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      redirect: "manual",
      dispatcher: agent,
    }) as unknown as Promise<Response>;
  return { fetch: call as typeof fetch, close: () => agent.close() };
}
