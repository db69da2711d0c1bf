import { withDeadline } from "../async/deadline";
import { encodeSse } from "../openai/sse";
import type { Usage } from "../openai/types";
import { toChatUsage } from "../responses-api/from-chat";
import { completesResponse, eventsOfResponse, responseOfEvents } from "../responses-api/replay";
import { streamOf } from "../responses-api/sse";
import type { Kv } from "../store/kv/port";
import { directivesOf } from "./directives";
import { type CacheIdentity, type CacheRoute, cacheKeyOf, scopeOf } from "./key";
import { chunksToJson, jsonToChunks, sseBody } from "./replay";
import type { CachedEndpoint, CacheSettings } from "./settings";
import { tapSse } from "./stream-tap";

const DEFAULT_TIMEOUT_MS = 250;

/** Bytes of `text` in UTF-8, as the store will hold it, counted without encoding a copy. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    // A surrogate pair is two UTF-16 units for four bytes; anything else up here is three.
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

export interface CacheRequest {
  /** The route asked: `supported_call_types` may leave it out. */
  readonly endpoint: CachedEndpoint;
  /** The OpenAI operation that answers it (the messages route asks for a chat completion). */
  readonly route: CacheRoute;
  readonly modelGroup: string;
  /** The validated request body, as the client sent it. */
  readonly request: Readonly<Record<string, unknown>>;
  readonly headers: Headers;
  readonly identity: CacheIdentity;
  readonly settings: CacheSettings;
}

/** A cached answer shaped for this request (structurally a `Served`). */
export type CachedAnswer =
  | { readonly type: "json"; readonly body: string; readonly usage: Usage | undefined }
  | { readonly type: "stream"; readonly body: ReadableStream<Uint8Array> };

export interface CacheLookup {
  /** Response headers: none when caching is off, else `x-routeiq-cache` (and the key on a hit). */
  readonly headers: Readonly<Record<string, string>>;
  readonly hit: CachedAnswer | undefined;
  /** Stores a JSON answer (unless the request said no-store); never throws. */
  storeJson(body: string): Promise<void>;
  /** Passes a stream through, storing its events once it completes successfully. */
  tapStream(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array>;
}

/** Either shape an answer was cached in; each serves stream and JSON requests alike. */
type Entry = { readonly json: string } | { readonly sse: string[] };

const passThrough = (body: ReadableStream<Uint8Array>) => body;
const nothingToStore = () => Promise.resolve();

/** The cache left out of a request altogether. */
export const CACHE_OFF: CacheLookup = Object.freeze({
  headers: {},
  hit: undefined,
  storeJson: nothingToStore,
  tapStream: passThrough,
});

const status = (value: "miss" | "bypass") => Object.freeze({ "x-routeiq-cache": value });

export interface ResponseCacheOptions {
  readonly timeoutMs?: number;
  /** Called for every store failure; the request is served without the cache. */
  readonly onKvFailure?: (error: unknown) => void;
}

/**
 * Exact-match cache of successful answers, shared by every replica through the KV store. Entries
 * are `<cache_params.namespace>:<hash>` in the store it is given (namespaced by the gateway's
 * prefix). A store failure never fails a request: the cache is bypassed.
 */
export class ResponseCache {
  readonly #kv: Kv;
  readonly #timeoutMs: number;
  readonly #onKvFailure: ((error: unknown) => void) | undefined;
  readonly #pending = new Set<Promise<void>>();

  constructor(kv: Kv, options: ResponseCacheOptions = {}) {
    this.#kv = kv;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onKvFailure = options.onKvFailure;
  }

  async lookup(req: CacheRequest): Promise<CacheLookup> {
    if (!req.settings.enabled || !req.settings.endpoints.includes(req.endpoint)) return CACHE_OFF;
    const directives = directivesOf(req.headers, req.request);
    const key = await cacheKeyOf({
      route: req.route,
      modelGroup: req.modelGroup,
      request: req.request,
      scope: scopeOf(req.settings.scope, req.identity),
    });
    const kvKey = `${req.settings.namespace}:${key}`;
    // A request may shorten its entry's life, never stretch it past the server's bound.
    const { maxTtlMs, maxEntryBytes } = req.settings;
    const ttlMs = Math.min(directives.ttlMs ?? req.settings.ttlMs, maxTtlMs);
    const store = (entry: Entry) => this.#put(kvKey, entry, ttlMs, maxEntryBytes);
    const writer = directives.write
      ? {
          storeJson: (body: string) => store({ json: body }),
          // Characters never outnumber bytes, so the tap can stop collecting at the byte bound.
          tapStream: (body: ReadableStream<Uint8Array>) =>
            tapSse(
              body,
              maxEntryBytes,
              (sse) => void store({ sse }),
              req.route === "responses" ? completesResponse : undefined,
            ),
        }
      : { storeJson: nothingToStore, tapStream: passThrough };
    if (!directives.read) return { headers: status("bypass"), hit: undefined, ...writer };
    let raw: string | null;
    try {
      raw = await withDeadline(this.#kv.get(kvKey), this.#timeoutMs, "response cache store");
    } catch (error) {
      this.#onKvFailure?.(error);
      return { headers: status("bypass"), hit: undefined, storeJson: nothingToStore, tapStream: passThrough };
    }
    const hit = raw === null ? undefined : shape(req, raw);
    if (hit === undefined) return { headers: status("miss"), hit: undefined, ...writer };
    return {
      headers: { "x-routeiq-cache": "hit", "x-litellm-cache-key": key },
      hit,
      storeJson: nothingToStore,
      tapStream: passThrough,
    };
  }

  /** Waits for the stores under way (graceful shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  #put(kvKey: string, entry: Entry, ttlMs: number, maxBytes: number): Promise<void> {
    const value = JSON.stringify(entry);
    if (value.length > maxBytes || utf8Length(value) > maxBytes) return Promise.resolve();
    const put = withDeadline(this.#kv.set(kvKey, value, ttlMs), this.#timeoutMs, "response cache store")
      .catch((error: unknown) => this.#onKvFailure?.(error))
      .finally(() => this.#pending.delete(put));
    this.#pending.add(put);
    return put;
  }
}

/** A cached response (Responses API) in the shape this request wants; its stream has no `[DONE]`. */
function responsesShape(
  req: CacheRequest,
  entry: Partial<{ json: string; sse: string[] }>,
): CachedAnswer | undefined {
  if (req.request.stream === true) {
    const payloads =
      entry.sse ??
      (entry.json === undefined
        ? undefined
        : eventsOfResponse(JSON.parse(entry.json)).map((e) => JSON.stringify(e)));
    if (payloads === undefined) return undefined;
    const events = payloads.map((data) => encodeSse(data, (JSON.parse(data) as { type: string }).type));
    return { type: "stream", body: streamOf(events) };
  }
  const response = entry.json !== undefined ? JSON.parse(entry.json) : responseOfEvents(entry.sse ?? []);
  if (response === undefined) return undefined;
  return { type: "json", body: JSON.stringify(response), usage: toChatUsage(response.usage) };
}

/** The cached entry in the shape this request wants; undefined (a miss) if it is unreadable. */
function shape(req: CacheRequest, raw: string): CachedAnswer | undefined {
  try {
    const entry = JSON.parse(raw) as Partial<{ json: string; sse: string[] }>;
    if (req.route === "responses") return responsesShape(req, entry);
    const replay = req.route === "embedding" ? undefined : req.route;
    if (req.request.stream === true && replay !== undefined) {
      const options = req.request.stream_options as { include_usage?: unknown } | null | undefined;
      const includeUsage = options?.include_usage === true;
      const events =
        entry.sse ?? (entry.json !== undefined ? jsonToChunks(replay, entry.json, true) : undefined);
      return events === undefined ? undefined : { type: "stream", body: sseBody(events, includeUsage) };
    }
    const body =
      entry.json ??
      (entry.sse !== undefined && replay !== undefined ? chunksToJson(replay, entry.sse) : undefined);
    if (body === undefined) return undefined;
    return { type: "json", body, usage: (JSON.parse(body) as { usage?: Usage }).usage };
  } catch {
    return undefined;
  }
}
