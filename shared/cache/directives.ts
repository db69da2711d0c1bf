/** What a request allows the cache to do with it. */
export interface CacheDirectives {
  /** Look up an earlier answer. */
  readonly read: boolean;
  /** Store this answer. */
  readonly write: boolean;
  /** This answer's time to live, when the request sets one. */
  readonly ttlMs: number | undefined;
}

const has = (directives: readonly string[], name: string) => directives.includes(name);

/**
 * Per-request opt-outs: the `cache-control` header (`no-cache`: do not answer from the cache but
 * store; `no-store`: do not store) and LiteLLM's body param `cache: {"no-cache", "no-store", "ttl"}`.
 */
export function directivesOf(headers: Headers, body: Readonly<Record<string, unknown>>): CacheDirectives {
  const header = (headers.get("cache-control") ?? "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  const param =
    body.cache !== null && typeof body.cache === "object" ? (body.cache as Record<string, unknown>) : {};
  const ttl = param.ttl;
  return {
    read: !has(header, "no-cache") && param["no-cache"] !== true,
    write: !has(header, "no-store") && param["no-store"] !== true,
    ttlMs: typeof ttl === "number" && Number.isFinite(ttl) && ttl > 0 ? Math.round(ttl * 1000) : undefined,
  };
}

/** LiteLLM's `cache` body param is for the gateway: upstreams (OpenAI) reject parameters they do not know. */
export function withoutCacheParam<T extends object>(request: T): T {
  if (!("cache" in request)) return request;
  const { cache: _cache, ...rest } = request as T & { cache?: unknown };
  return rest as T;
}
