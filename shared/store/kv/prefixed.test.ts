import { afterEach, describe, expect, it } from "vitest";
import { MemoryKv } from "./memory";
import { kvPrefixSchema, prefixedKv } from "./prefixed";
import type { KvScript } from "./script";

const keysOf: KvScript<string> = {
  name: "test_keys_of",
  lua: "return table.concat(KEYS, ' ')",
  parse: (reply) => String(reply),
  memory: (_view, keys) => keys.join(" "),
};

const delivered = () => new Promise((resolve) => setTimeout(resolve, 10));

describe("prefixedKv", () => {
  const raw = new MemoryKv();
  afterEach(async () => {
    for (const key of ["routeiq:keys:version", "other:keys:version", "{routeiq:router}:e:a"])
      await raw.del(key);
  });

  it("keeps each namespace's keys apart, under <prefix>: in the shared store", async () => {
    const a = prefixedKv(raw, "routeiq");
    const b = prefixedKv(raw, "other");
    await a.set("keys:version", "1");
    expect(await b.get("keys:version")).toBeNull();
    await b.set("keys:version", "2");
    expect(await a.get("keys:version")).toBe("1");
    expect(await raw.get("routeiq:keys:version")).toBe("1");
    expect(await raw.get("other:keys:version")).toBe("2");
    await a.del("keys:version");
    expect(await b.get("keys:version")).toBe("2");
  });

  it("puts the prefix inside a leading hash tag, and maps a script's keys", async () => {
    const a = prefixedKv(raw, "routeiq");
    await a.set("{router}:e:a", "x");
    expect(await raw.get("{routeiq:router}:e:a")).toBe("x");
    expect(await a.run(keysOf, ["lim:key:h", "{router}:f:a"], [])).toBe(
      "routeiq:lim:key:h {routeiq:router}:f:a",
    );
  });

  it("delivers messages only within the namespace", async () => {
    const a = prefixedKv(raw, "routeiq");
    const same = prefixedKv(raw, "routeiq");
    const b = prefixedKv(raw, "other");
    const heard = { same: [] as string[], other: [] as string[] };
    const stops = [
      await same.subscribe("keys:changed", (m) => heard.same.push(m)),
      await b.subscribe("keys:changed", (m) => heard.other.push(m)),
    ];
    await a.publish("keys:changed", "h1");
    await delivered();
    expect(heard).toEqual({ same: ["h1"], other: [] });
    for (const stop of stops) await stop();
  });

  it("accepts only prefixes that cannot overlap another's keys or a hash tag", () => {
    for (const ok of ["routeiq", "acme-prod", "team_a.v2"])
      expect(kvPrefixSchema.safeParse(ok).success).toBe(true);
    for (const bad of ["", "a:b", "{x}", "with space", "x".repeat(65)])
      expect(kvPrefixSchema.safeParse(bad).success).toBe(false);
  });
});
