import { describe, expect, it } from "vitest";
import { generateKey, hashKey, isKeyHash, keyName } from "./key-material";

describe("key material", () => {
  it("generates distinct sk- keys carrying 256 random bits", () => {
    const keys = new Set(Array.from({ length: 100 }, generateKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
  });

  it("hashes with SHA-256 in lowercase hex, as LiteLLM stores keys", async () => {
    expect(await hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(isKeyHash(await hashKey(generateKey()))).toBe(true);
  });

  it("names a key by its last four characters only", () => {
    expect(keyName("sk-abcdefgh1234")).toBe("sk-...1234");
    expect(isKeyHash("sk-abcdefgh1234")).toBe(false);
  });
});
