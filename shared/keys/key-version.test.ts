import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../logging/logger";
import { MemoryKv } from "../store/kv/memory";
import type { Kv } from "../store/kv/port";
import { bumpKeyVersion, keyVersionCheck } from "./key-version";

describe("keyVersionCheck", () => {
  const kv = new MemoryKv();
  afterEach(() => kv.del("keys:version"));

  const counting = () => {
    const resolver = { clears: 0, clear: () => void resolver.clears++ };
    return resolver;
  };

  it("drops the cache on the first invoke after a key change, and only then", async () => {
    const resolver = counting();
    const check = keyVersionCheck(kv, resolver, silentLogger);
    await check.beforeInvoke();
    await check.beforeInvoke();
    expect(resolver.clears).toBe(0);
    await bumpKeyVersion(kv);
    await check.beforeInvoke();
    expect(resolver.clears).toBe(1);
    await check.beforeInvoke();
    expect(resolver.clears).toBe(1);
  });

  it("without the store, keeps serving; when it answers again, compares with the last version seen", async () => {
    let down = false;
    const flaky: Pick<Kv, "get"> = {
      get: (key) => (down ? Promise.reject(new Error("ECONNREFUSED")) : kv.get(key)),
    };
    const resolver = counting();
    const check = keyVersionCheck(flaky, resolver, silentLogger);
    await check.beforeInvoke();
    down = true;
    await check.beforeInvoke();
    down = false;
    await check.beforeInvoke();
    expect(resolver.clears).toBe(0);
    await bumpKeyVersion(kv);
    await check.beforeInvoke();
    expect(resolver.clears).toBe(1);
  });

  it("a container that could never read the version drops what it cached once it can", async () => {
    let down = true;
    const flaky: Pick<Kv, "get"> = {
      get: (key) => (down ? Promise.reject(new Error("ECONNREFUSED")) : kv.get(key)),
    };
    const resolver = counting();
    const check = keyVersionCheck(flaky, resolver, silentLogger);
    await check.beforeInvoke();
    down = false;
    await check.beforeInvoke();
    expect(resolver.clears).toBe(1);
  });
});
