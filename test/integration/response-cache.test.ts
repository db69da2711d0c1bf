import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CacheIdentity } from "../../shared/cache/key";
import { sseBody } from "../../shared/cache/replay";
import { type CacheLookup, type CacheRequest, ResponseCache } from "../../shared/cache/response-cache";
import { type CachedEndpoint, type CacheSettings, parseCacheSettings } from "../../shared/cache/settings";
import { SSE_DONE } from "../../shared/openai/sse";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { REDIS_URL, requireRedis } from "../support/replicas";
import { closedPort } from "../support/routing";
import { testUpstash } from "../support/upstash";

const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
const answer = JSON.stringify({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o",
  choices: [{ index: 0, message: { role: "assistant", content: "Hi there" }, finish_reason: "stop" }],
  usage,
});
const streamed = [
  { choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
  { choices: [{ index: 0, delta: { content: "Hi " }, finish_reason: null }] },
  { choices: [{ index: 0, delta: { content: "there" }, finish_reason: "stop" }] },
  { choices: [], usage },
].map((chunk) =>
  JSON.stringify({ id: "c-2", object: "chat.completion.chunk", created: 2, model: "m", ...chunk }),
);

const on = parseCacheSettings({ cache: true });
const k1: CacheIdentity = { key: "sk-one", team: "t" };
const k2: CacheIdentity = { key: "sk-two", team: "t" };

interface Ask {
  readonly body?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  readonly identity?: CacheIdentity;
  readonly settings?: CacheSettings;
  readonly endpoint?: CachedEndpoint;
}

function ask(
  cache: ResponseCache,
  { body = {}, headers = {}, identity = k1, settings = on, endpoint = "chat" }: Ask,
) {
  const request: CacheRequest = {
    endpoint,
    route: "chat",
    modelGroup: "gpt",
    request: { model: "gpt", messages: [{ role: "user", content: "hi" }], ...body },
    headers: new Headers(headers),
    identity,
    settings,
  };
  return cache.lookup(request);
}

const text = (lookup: CacheLookup) => new Response(lookup.hit?.body).text();

/**
 * `ttl` is the short lifetime the expiry cases use, in seconds: on a real store it must outlast
 * two round trips on a loaded machine, on a clock the test advances it can be anything.
 */
function cases(setup: () => { cache: ResponseCache; advance?: (ms: number) => Promise<void>; ttl?: number }) {
  it("misses, stores a JSON answer, then hits with LiteLLM's key header", async () => {
    const { cache } = setup();
    const miss = await ask(cache, {});
    expect(miss.headers).toEqual({ "x-routeiq-cache": "miss" });
    await miss.storeJson(answer);
    const hit = await ask(cache, { body: { user: "someone", metadata: { a: 1 } } });
    expect(hit.headers["x-routeiq-cache"]).toBe("hit");
    expect(hit.headers["x-litellm-cache-key"]).toMatch(/^[0-9a-f]{64}$/);
    expect(hit.hit).toMatchObject({ type: "json", body: answer, usage });
    expect(await hit.storeJson(answer)).toBeUndefined();
  });

  it("serves a stored JSON answer to a streaming request as chunks", async () => {
    const { cache } = setup();
    await (await ask(cache, {})).storeJson(answer);
    const hit = await ask(cache, { body: { stream: true, stream_options: { include_usage: true } } });
    expect(hit.hit?.type).toBe("stream");
    const body = await text(hit);
    expect(body).toContain('"content":"Hi there"');
    expect(body).toContain('"usage":{"prompt_tokens":3');
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("stores a completed stream and serves it to stream and JSON requests", async () => {
    const { cache } = setup();
    const miss = await ask(cache, { body: { stream: true } });
    await new Response(miss.tapStream(sseBody(streamed, true))).text();
    await cache.drain();
    const replay = await text(await ask(cache, { body: { stream: true } }));
    expect(replay).toBe([...streamed.slice(0, 3), SSE_DONE].map((d) => `data: ${d}\n\n`).join(""));
    const json = await ask(cache, {});
    expect(json.hit?.type).toBe("json");
    expect(JSON.parse(await text(json))).toMatchObject({
      object: "chat.completion",
      choices: [{ message: { role: "assistant", content: "Hi there" }, finish_reason: "stop" }],
      usage,
    });
  });

  it("honours no-store and no-cache", async () => {
    const { cache } = setup();
    const noStore = await ask(cache, { headers: { "cache-control": "no-store" } });
    await noStore.storeJson(answer);
    expect((await ask(cache, { body: { cache: { "no-store": true } } })).headers["x-routeiq-cache"]).toBe(
      "miss",
    );
    const noCache = await ask(cache, { body: { cache: { "no-cache": true } } });
    expect(noCache.headers).toEqual({ "x-routeiq-cache": "bypass" });
    await noCache.storeJson(answer);
    expect((await ask(cache, { headers: { "cache-control": "no-cache" } })).hit).toBeUndefined();
    expect((await ask(cache, {})).hit?.body).toBe(answer);
  });

  it("never shares answers across keys unless the scope is widened", async () => {
    const { cache } = setup();
    await (await ask(cache, { identity: k1 })).storeJson(answer);
    expect((await ask(cache, { identity: k2 })).headers["x-routeiq-cache"]).toBe("miss");
    const team = parseCacheSettings({ cache: true, cache_params: { scope: "team" } });
    await (await ask(cache, { identity: k1, settings: team })).storeJson(answer);
    expect((await ask(cache, { identity: k2, settings: team })).headers["x-routeiq-cache"]).toBe("hit");
    expect((await ask(cache, { identity: { key: "sk-3", team: "u" }, settings: team })).hit).toBeUndefined();
  });

  it("expires answers after the configured or requested ttl", async () => {
    const { cache, advance, ttl = 0.2 } = setup();
    const short = parseCacheSettings({ cache: true, cache_params: { ttl } });
    await (await ask(cache, { settings: short })).storeJson(answer);
    await (await ask(cache, { body: { temperature: 0, cache: { ttl } } })).storeJson(answer);
    expect((await ask(cache, { settings: short })).hit).toBeDefined();
    await (advance ?? sleep)(ttl * 1000 + 250);
    expect((await ask(cache, { settings: short })).hit).toBeUndefined();
    expect((await ask(cache, { body: { temperature: 0 } })).hit).toBeUndefined();
  });

  it("keeps no answer longer than max_ttl, whatever ttl the request asks for", async () => {
    const { cache, advance, ttl = 0.2 } = setup();
    const bounded = parseCacheSettings({ cache: true, cache_params: { ttl: 60, max_ttl: ttl } });
    // LiteLLM's body param, asking for 31 years.
    await (await ask(cache, { settings: bounded, body: { cache: { ttl: 1e9 } } })).storeJson(answer);
    expect((await ask(cache, { settings: bounded })).hit).toBeDefined();
    await (advance ?? sleep)(ttl * 1000 + 250);
    expect((await ask(cache, { settings: bounded })).hit).toBeUndefined();
  });

  it("stores no entry larger than max_entry_size_mb, counted in UTF-8 bytes", async () => {
    const { cache } = setup();
    const wide = answer.replace("Hi there", "é".repeat(200));
    const entryBytes = new TextEncoder().encode(JSON.stringify({ json: wide })).byteLength;
    // Its characters would fit; its bytes do not.
    expect(JSON.stringify({ json: wide }).length).toBeLessThan(entryBytes - 1);
    const limited = (bytes: number) =>
      parseCacheSettings({ cache: true, cache_params: { max_entry_size_mb: bytes / (1024 * 1024) } });
    await (await ask(cache, { settings: limited(entryBytes - 1) })).storeJson(wide);
    expect((await ask(cache, {})).hit).toBeUndefined();
    await (await ask(cache, { settings: limited(entryBytes) })).storeJson(wide);
    expect((await ask(cache, {})).hit?.body).toBe(wide);

    const streaming = { body: { stream: true, n: 2 } };
    const small = limited(100);
    const miss = await ask(cache, { ...streaming, settings: small });
    await new Response(miss.tapStream(sseBody(streamed, true))).text();
    await cache.drain();
    expect((await ask(cache, streaming)).hit).toBeUndefined();
  });

  it("adds no header and touches nothing when caching is off", async () => {
    const { cache } = setup();
    const off = await ask(cache, { settings: parseCacheSettings({}) });
    expect(off.headers).toEqual({});
    await off.storeJson(answer);
    expect((await ask(cache, {})).hit).toBeUndefined();
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("ResponseCache on MemoryKv", () => {
  cases(() => {
    let now = 1_000_000;
    const kv = new MemoryKv({ now: () => now });
    const advance = async (ms: number) => {
      now += ms;
    };
    return { cache: new ResponseCache(kv), advance };
  });
});

describe("ResponseCache: LiteLLM's namespace and supported_call_types", () => {
  it("keeps entries as <namespace>:<hash> in the store it is given, apart from other namespaces", async () => {
    const kv = new MemoryKv();
    const cache = new ResponseCache(prefixedKv(kv, "routeiq"));
    const named = parseCacheSettings({ cache: true, cache_params: { namespace: "litellm.caching.caching" } });
    await (await ask(cache, { settings: named })).storeJson(answer);
    const hit = await ask(cache, { settings: named });
    const hash = hit.headers["x-litellm-cache-key"];
    expect(await kv.get(`routeiq:litellm.caching.caching:${hash}`)).toBe(JSON.stringify({ json: answer }));
    expect((await ask(cache, {})).headers["x-routeiq-cache"]).toBe("miss");
    await (await ask(cache, {})).storeJson(answer);
    expect(await kv.get(`routeiq:cache:${hash}`)).not.toBeNull();
    await kv.close();
  });

  it("caches only the routes supported_call_types names, by LiteLLM's call type names", async () => {
    const cache = new ResponseCache(new MemoryKv());
    const only = (...types: string[]) =>
      parseCacheSettings({ cache: true, cache_params: { supported_call_types: types } });
    const embeddingsOnly = only("aembedding", "atranscription");
    expect((await ask(cache, { settings: embeddingsOnly })).headers).toEqual({});
    expect((await ask(cache, { settings: embeddingsOnly, endpoint: "embeddings" })).headers).toEqual({
      "x-routeiq-cache": "miss",
    });
    // /v1/messages asks for a chat completion, yet is its own call type, as in LiteLLM.
    expect((await ask(cache, { settings: only("acompletion"), endpoint: "messages" })).headers).toEqual({});
    expect(
      (await ask(cache, { settings: only("anthropic_messages"), endpoint: "messages" })).hit,
    ).toBeUndefined();
    await (await ask(cache, { settings: only("acompletion") })).storeJson(answer);
    expect((await ask(cache, { settings: only("anthropic_messages"), endpoint: "messages" })).hit?.body).toBe(
      answer,
    );
    // LiteLLM's way of keeping the cache for everything but answers.
    expect((await ask(cache, { settings: only(), endpoint: "chat" })).headers).toEqual({});
  });
});

describe("ResponseCache on Redis", () => {
  const prefix = `routeiq-test-${randomUUID()}`;
  const kv = redisKv({ url: REDIS_URL });
  const raw = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let n = 0;

  beforeAll(async () => {
    await requireRedis();
    await raw.connect();
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await kv.close();
  });

  cases(() => ({ cache: new ResponseCache(prefixedKv(kv, `${prefix}-${n++}`)), ttl: 2 }));
});

describe("ResponseCache on Upstash", () => {
  const prefix = `routeiq-test-${randomUUID()}`;
  const upstash = testUpstash();
  const raw = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let kv: Kv;
  let n = 0;

  beforeAll(async () => {
    kv = await upstash.open();
    await raw.connect();
  });

  afterAll(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await upstash.close();
  });

  cases(() => ({ cache: new ResponseCache(prefixedKv(kv, `${prefix}-${n++}`)), ttl: 2 }));
});

describe("ResponseCache with Redis down", () => {
  it("bypasses without throwing and reports the failures", async () => {
    const kv = redisKv({ url: `redis://127.0.0.1:${await closedPort()}`, onError: () => {} });
    const failures: unknown[] = [];
    const cache = new ResponseCache(kv, { onKvFailure: (error) => failures.push(error) });
    try {
      const started = Date.now();
      const lookup = await ask(cache, {});
      expect(lookup.headers).toEqual({ "x-routeiq-cache": "bypass" });
      expect(lookup.hit).toBeUndefined();
      await lookup.storeJson(answer);
      const fresh = await ask(cache, { headers: { "cache-control": "no-cache" } });
      await fresh.storeJson(answer);
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(failures.length).toBe(2);
    } finally {
      await kv.close();
    }
  });
});
