import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal";
import type { KeyContext } from "../keys/key-resolver";
import { cacheIdentityOf } from "./identity";

const virtualKey = (keyHash: string, teamId?: string): Principal => ({
  kind: "virtual_key",
  keyHash,
  context: { team: teamId === undefined ? undefined : { teamId } } as unknown as KeyContext,
});

describe("cacheIdentityOf", () => {
  it("partitions virtual keys by hash and team, apart from the master key and open callers", () => {
    expect(cacheIdentityOf(virtualKey("h1", "t1"))).toEqual({ key: "vk:h1", team: "t1" });
    expect(cacheIdentityOf(virtualKey("h2"))).toEqual({ key: "vk:h2", team: undefined });
    expect(cacheIdentityOf({ kind: "master" })).toEqual({ key: "master", team: undefined });
    expect(cacheIdentityOf({ kind: "open" })).toEqual({ key: "open", team: undefined });
    expect(cacheIdentityOf(undefined)).toEqual({ key: "open", team: undefined });
  });
});
