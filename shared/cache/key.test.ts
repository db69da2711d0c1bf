import { describe, expect, it } from "vitest";
import { type CacheRoute, cacheKeyOf, canonicalJson, scopeOf } from "./key";

const messages = [{ role: "user", content: "hi" }];

const keyOf = (request: Record<string, unknown>, scope = "key:k1", route: CacheRoute = "chat") =>
  cacheKeyOf({ route, modelGroup: "gpt", request, scope });

describe("canonicalJson", () => {
  it("sorts keys at every depth and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });
});

describe("cacheKeyOf", () => {
  it("gives the same request the same SHA-256 hex key", async () => {
    const key = await keyOf({ model: "gpt", messages });
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await keyOf({ model: "gpt", messages })).toBe(key);
  });

  it("ignores field order, the stream flag and fields that do not change the answer", async () => {
    const key = await keyOf({ model: "gpt", messages, temperature: 0 });
    const same = await keyOf({
      temperature: 0,
      messages,
      model: "gpt",
      stream: true,
      stream_options: { include_usage: true },
      user: "u1",
      metadata: { trace: "t" },
      cache: { "no-store": true },
      litellm_call_id: "abc",
      max_tokens: null,
    });
    expect(same).toBe(key);
  });

  it("separates different questions, routes and scopes", async () => {
    const key = await keyOf({ model: "gpt", messages });
    expect(await keyOf({ model: "gpt", messages, temperature: 1 })).not.toBe(key);
    expect(await keyOf({ model: "gpt", messages: [{ role: "user", content: "ho" }] })).not.toBe(key);
    expect(await keyOf({ model: "gpt", messages }, "key:k2")).not.toBe(key);
    expect(await keyOf({ model: "gpt", messages }, "global")).not.toBe(key);
    expect(await keyOf({ model: "gpt", messages }, "key:k1", "completion")).not.toBe(key);
  });
});

describe("scopeOf", () => {
  const identity = { key: "k1", team: "t1" };

  it("partitions by key by default, by team or not at all when widened", () => {
    expect(scopeOf("key", identity)).toBe("key:k1");
    expect(scopeOf("team", identity)).toBe("team:t1");
    expect(scopeOf("global", identity)).toBe("global");
  });

  it("narrows team scope to the key when the caller has no team", () => {
    expect(scopeOf("team", { key: "k1", team: undefined })).toBe("key:k1");
  });
});
