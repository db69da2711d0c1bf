import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUpstashBridge, type UpstashBridge } from "../../infra/local/upstash-rest-bridge";
import { MAX_TURNS, type SessionStore, sessionStore } from "../../shared/responses-api/session-store";
import type { ResponseObject } from "../../shared/responses-api/types";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { upstashKv } from "../../shared/store/kv/upstash";

/**
 * The stored-response scripts on every KV adapter: Redis (the replicas' shared store), Upstash's
 * REST API (the edge), and the in-memory twin (one process, no services), which must agree.
 */

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const RUN = randomUUID().slice(0, 8);
const TTL_MS = 60_000;

let bridge: UpstashBridge;
let raw: Redis;

beforeAll(async () => {
  bridge = await startUpstashBridge({ redisUrl: REDIS_URL, token: `test-${RUN}` });
  raw = new Redis(REDIS_URL);
});

afterAll(async () => {
  await bridge?.close();
  raw?.disconnect();
});

const adapters: [string, () => Kv][] = [
  ["memory", () => new MemoryKv()],
  ["redis", () => redisKv({ url: REDIS_URL })],
  ["upstash", () => upstashKv({ url: bridge.url, token: bridge.token })],
];

const responseOf = (id: string, text: string): ResponseObject => ({
  id,
  object: "response",
  created_at: 1,
  status: "completed",
  model: "m",
  output: [{ type: "message", id: `msg_${id}`, role: "assistant", status: "completed", content: [] }],
  error: null,
  incomplete_details: null,
  text,
});

describe.each(adapters)("stored responses on %s", (adapter, open) => {
  let kv: Kv;
  let store: SessionStore;
  const prefix = `rt${RUN}${adapter}`;
  const scope = "key.abc";
  const id = (n: number | string) => `resp_${adapter}${n}`;
  const save = (n: number, previous?: number) =>
    store.save(
      scope,
      { response: responseOf(id(n), `turn ${n}`), input: [] },
      previous === undefined ? undefined : id(previous),
    );

  beforeAll(() => {
    kv = prefixedKv(open(), prefix);
    store = sessionStore(kv, { ttlMs: TTL_MS, maxConversationChars: 1e9, quotaChars: 5_000 });
  });

  afterAll(async () => {
    if (adapter !== "memory") {
      const keys = await raw.keys(`{${prefix}:*`);
      if (keys.length > 0) await raw.del(...keys);
    }
    await kv.close();
  });

  it("follows a conversation back to its first turn, oldest first, and only within the scope", async () => {
    await save(1);
    await save(2, 1);
    await save(3, 2);
    const conversation = await store.conversation(scope, id(3));
    expect(conversation.status).toBe("found");
    if (conversation.status !== "found") return;
    expect(conversation.turns.map((t) => t.response.text)).toEqual(["turn 1", "turn 2", "turn 3"]);
    expect(conversation.chars).toBeGreaterThan(0);
    expect((await store.conversation("key.other", id(3))).status).toBe("missing");
    expect(await store.get("key.other", id(3))).toBeUndefined();
    expect((await store.get(scope, id(2)))?.response.text).toBe("turn 2");
  });

  it("says a conversation is broken when an earlier turn is gone, and deletes only what is there", async () => {
    await save(11);
    await save(12, 11);
    expect(await store.delete("key.other", id(11))).toBe(false);
    expect(await store.delete(scope, id(11))).toBe(true);
    expect(await store.delete(scope, id(11))).toBe(false);
    expect((await store.conversation(scope, id(12))).status).toBe("broken");
  });

  it("refuses to follow more than MAX_TURNS turns", async () => {
    for (let n = 0; n <= MAX_TURNS; n++) await save(1_000 + n, n === 0 ? undefined : 1_000 + n - 1);
    expect((await store.conversation(scope, id(1_000 + MAX_TURNS))).status).toBe("too_long");
    expect((await store.conversation(scope, id(1_000 + MAX_TURNS - 1))).status).toBe("found");
  });

  it("counts what a scope stored against its quota", async () => {
    const quota = "key.quota";
    expect(await store.underQuota(quota)).toBe(true);
    for (let n = 0; n < 3; n++) {
      await store.save(quota, { response: responseOf(id(`q${n}`), "x".repeat(2_000)), input: [] }, undefined);
    }
    expect(await store.underQuota(quota)).toBe(false);
    expect(await store.underQuota("key.fresh")).toBe(true);
  });

  it("counts a conversation against the quota again each time it is continued", async () => {
    const small = sessionStore(kv, { ttlMs: TTL_MS, maxConversationChars: 1e9, quotaChars: 3_000 });
    const renewing = "key.renew";
    await small.save(renewing, { response: responseOf(id("r1"), "x".repeat(2_000)), input: [] }, undefined);
    expect(await small.underQuota(renewing)).toBe(true);
    expect((await small.conversation(renewing, id("r1"))).status).toBe("found");
    expect(await small.underQuota(renewing)).toBe(false);
  });
});

describe("stored responses in Redis", () => {
  it("keeps every key under the prefix, with the TTL, renewed for the whole conversation when continued", async () => {
    const prefix = `rt${RUN}ttl`;
    const kv = prefixedKv(redisKv({ url: REDIS_URL }), prefix);
    const store = sessionStore(kv, { ttlMs: TTL_MS, maxConversationChars: 1e9, quotaChars: 1e9 });
    try {
      await store.save("master", { response: responseOf("resp_a", "a"), input: [] }, undefined);
      await store.save("master", { response: responseOf("resp_b", "b"), input: [] }, "resp_a");
      const first = `{${prefix}:responses:master}:resp_a`;
      expect(await raw.pttl(first)).toBeGreaterThan(TTL_MS - 5_000);
      await raw.pexpire(first, 1_000);
      await store.conversation("master", "resp_b");
      expect(await raw.pttl(first)).toBeGreaterThan(TTL_MS - 5_000);
      expect(await raw.pttl(`{${prefix}:responses:master}:stored`)).toBeGreaterThan(0);
      // A key over its quota still reads its conversations, but no longer keeps them alive.
      const full = sessionStore(kv, { ttlMs: TTL_MS, maxConversationChars: 1e9, quotaChars: 1 });
      await raw.pexpire(first, 1_000);
      expect((await full.conversation("master", "resp_b")).status).toBe("found");
      expect(await raw.pttl(first)).toBeLessThanOrEqual(1_000);
    } finally {
      const keys = await raw.keys(`{${prefix}:*`);
      if (keys.length > 0) await raw.del(...keys);
      await kv.close();
    }
  });
});
