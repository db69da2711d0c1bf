import { describe, expect, it } from "vitest";
import { Lru } from "./lru";

describe("Lru", () => {
  it("drops the least recently used entry beyond its capacity", () => {
    const lru = new Lru<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1);
    lru.set("c", 3);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(1);
    expect(lru.get("c")).toBe(3);
    expect(lru.size).toBe(2);
  });

  it("replaces an entry without growing", () => {
    const lru = new Lru<string, number>(2);
    lru.set("a", 1);
    lru.set("a", 2);
    lru.set("b", 3);
    expect([lru.get("a"), lru.get("b"), lru.size]).toEqual([2, 3, 2]);
  });

  it("refuses a capacity that is not a positive integer", () => {
    expect(() => new Lru(0)).toThrow(RangeError);
  });
});
