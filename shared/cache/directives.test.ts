import { describe, expect, it } from "vitest";
import { directivesOf, withoutCacheParam } from "./directives";

const headers = (cacheControl?: string) =>
  new Headers(cacheControl === undefined ? {} : { "cache-control": cacheControl });

describe("directivesOf", () => {
  it("reads and writes by default", () => {
    expect(directivesOf(headers(), {})).toEqual({ read: true, write: true, ttlMs: undefined });
  });

  it("honours the cache-control header", () => {
    expect(directivesOf(headers("no-cache"), {})).toMatchObject({ read: false, write: true });
    expect(directivesOf(headers("No-Store"), {})).toMatchObject({ read: true, write: false });
    expect(directivesOf(headers("no-cache, no-store"), {})).toMatchObject({ read: false, write: false });
  });

  it("honours LiteLLM's cache body param, ttl in seconds", () => {
    expect(directivesOf(headers(), { cache: { "no-cache": true } })).toMatchObject({
      read: false,
      write: true,
    });
    expect(directivesOf(headers(), { cache: { "no-store": true } })).toMatchObject({
      read: true,
      write: false,
    });
    expect(directivesOf(headers(), { cache: { ttl: 1.5 } }).ttlMs).toBe(1_500);
  });

  it("ignores malformed params rather than failing the request", () => {
    expect(directivesOf(headers(), { cache: "no-store" })).toEqual({
      read: true,
      write: true,
      ttlMs: undefined,
    });
    expect(directivesOf(headers(), { cache: { ttl: -1, "no-cache": "yes" } })).toEqual({
      read: true,
      write: true,
      ttlMs: undefined,
    });
  });
});

describe("withoutCacheParam", () => {
  it("drops the cache param before the request goes upstream, copying only when there is one", () => {
    const plain = { model: "m", messages: [] };
    expect(withoutCacheParam(plain)).toBe(plain);
    expect(withoutCacheParam({ ...plain, cache: { "no-cache": true } })).toEqual(plain);
  });
});
