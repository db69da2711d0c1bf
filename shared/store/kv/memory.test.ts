import { describe, expect, it } from "vitest";
import { entryBytes, MemoryKv } from "./memory";
import type { KvScript } from "./script";

const value = "v".repeat(1_000);
// Every key in these tests has three characters, so every entry takes the same room.
const size = entryBytes("k00", value);

/** A counter kept without a TTL, the way limiter state is kept so that it cannot be evicted. */
const increment: KvScript<number> = {
  name: "test_increment",
  lua: "return redis.call('INCR', KEYS[1])",
  parse: (reply) => Number(reply),
  memory(view, keys) {
    const next = Number(view.get(keys[0] as string) ?? "0") + 1;
    view.set(keys[0] as string, String(next));
    return next;
  },
};

const name = (i: number) => `k${String(i).padStart(2, "0")}`;

describe("MemoryKv bounded in bytes", () => {
  it("evicts the least recently used keys that have a TTL, and reports how many", async () => {
    const evictions: number[] = [];
    const kv = new MemoryKv({ maxBytes: 10 * size, onEvict: (count) => evictions.push(count) });
    for (let i = 0; i < 10; i++) await kv.set(name(i), value, 60_000);
    expect(evictions).toEqual([]);
    // Read, so no longer the least recently used.
    expect(await kv.get(name(0))).toBe(value);
    // Each write past the bound evicts one: the 11th fits (a write may pass the bound by its own
    // size), the 12th to 15th evict k01 to k04.
    for (let i = 10; i < 15; i++) await kv.set(name(i), value, 60_000);
    expect(evictions).toEqual([1, 1, 1, 1]);
    expect(kv.usedBytes).toBe(11 * size);
    for (const i of [1, 2, 3, 4]) expect(await kv.get(name(i))).toBeNull();
    for (const i of [0, 5, 14]) expect(await kv.get(name(i))).toBe(value);
    // Writes go on for as long as there is something to evict; memory stays bounded.
    for (let i = 15; i < 99; i++) await kv.set(name(i), value, 60_000);
    expect(kv.usedBytes).toBe(11 * size);
    await kv.close();
  });

  it("never evicts a key without a TTL, and refuses writes as Redis does once only those are left", async () => {
    // Limiter state (l:*) without a TTL, a cache entry (c:*) with one; all the same size.
    const kv = new MemoryKv({ maxBytes: 3 * size });
    await kv.set("l:a", value);
    await kv.set("c:x", value, 60_000);
    await kv.set("l:b", value);
    await kv.set("l:c", value);
    // Over the bound: the one key with a TTL goes, the limiter state stays.
    await kv.set("l:d", value);
    expect(await kv.get("c:x")).toBeNull();
    for (const key of ["l:a", "l:b", "l:c", "l:d"]) expect(await kv.get(key)).toBe(value);
    // Nothing left to evict: writes fail (the limiter then applies its fail mode), reads go on.
    await expect(kv.set("c:y", value, 60_000)).rejects.toThrow(/^OOM command not allowed/);
    await expect(kv.run(increment, ["l:n"], [])).rejects.toThrow(/^OOM command not allowed/);
    expect(await kv.get("l:a")).toBe(value);
    // Freeing memory lets writes through again.
    await kv.del("l:a");
    await kv.del("l:b");
    expect(await kv.run(increment, ["l:n"], [])).toBe(1);
    await kv.close();
  });

  it("counts what expiry, deletion and overwrites free", async () => {
    let now = 0;
    const kv = new MemoryKv({ now: () => now, maxBytes: 100 * size });
    await kv.set("a", value, 1_000);
    await kv.set("b", value);
    await kv.set("b", "short");
    expect(kv.usedBytes).toBe(entryBytes("a", value) + entryBytes("b", "short"));
    now += 1_000;
    expect(await kv.get("a")).toBeNull();
    await kv.del("b");
    expect(kv.usedBytes).toBe(0);
    await kv.close();
  });

  it("is unbounded unless given a bound", async () => {
    const kv = new MemoryKv();
    for (let i = 0; i < 100; i++) await kv.set(name(i), value, 60_000);
    expect(await kv.get(name(0))).toBe(value);
    await kv.close();
  });
});
