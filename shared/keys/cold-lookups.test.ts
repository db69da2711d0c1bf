import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ColdLookups, KeyLookupsBusyError } from "./cold-lookups";
import type { KeyContext } from "./key-context";
import { unverifiedKey } from "./unverified-key";

/** A loader that knows one key and records each batch it was asked for. */
function loader(known = "real") {
  const batches: string[][] = [];
  const load = async (hashes: readonly string[]) => {
    batches.push([...hashes]);
    const found = new Map<string, KeyContext>();
    if (hashes.includes(known)) found.set(known, unverifiedKey(known, 0));
    return found;
  };
  return { batches, load };
}

describe("ColdLookups", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends at most queriesPerSecond queries, one a lookup or a thousand", async () => {
    const { batches, load } = loader();
    const cold = new ColdLookups({ load, queriesPerSecond: 10 });
    const lookups: Promise<KeyContext | undefined>[] = [];
    // One new bogus key every millisecond for a second, each a query if nothing bounded them.
    for (let i = 0; i < 1_000; i++) {
      lookups.push(cold.lookup(`bogus-${i}`));
      await vi.advanceTimersByTimeAsync(1);
    }
    // A second's burst, plus what a second refills.
    expect(batches.length).toBeLessThanOrEqual(21);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await Promise.all(lookups)).toEqual(lookups.map(() => undefined));
    expect(batches.flat().sort()).toEqual(Array.from({ length: 1_000 }, (_, i) => `bogus-${i}`).sort());
  });

  it("answers a real key that arrives among bogus ones", async () => {
    const { batches, load } = loader("real");
    const cold = new ColdLookups({ load, queriesPerSecond: 1 });
    const bogus = Array.from({ length: 50 }, (_, i) => cold.lookup(`bogus-${i}`));
    const real = cold.lookup("real");
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await real)?.key.keyHash).toBe("real");
    await Promise.all(bogus);
    expect(batches).toHaveLength(2);
  });

  it("refuses at once when too many keys wait, and shares a wait for the same key", async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const cold = new ColdLookups({
      load: async () => {
        calls++;
        await blocked;
        return new Map();
      },
      maxWaiting: 2,
    });
    const running = cold.lookup("a");
    const waiting = [cold.lookup("b"), cold.lookup("c"), cold.lookup("c")];
    await expect(cold.lookup("d")).rejects.toBeInstanceOf(KeyLookupsBusyError);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(await Promise.all([running, ...waiting])).toEqual([undefined, undefined, undefined, undefined]);
    expect(calls).toBe(2);
  });

  it("fails every lookup of a batch whose query failed", async () => {
    const cold = new ColdLookups({
      load: () => Promise.reject(new Error("database unavailable: connect ECONNREFUSED")),
    });
    await expect(cold.lookup("a")).rejects.toThrow("ECONNREFUSED");
  });
});
