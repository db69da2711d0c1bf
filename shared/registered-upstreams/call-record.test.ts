import { describe, expect, it } from "vitest";
import type { Principal } from "../auth/principal";
import type { AppDeps } from "../deps";
import type { KeyContext } from "../keys/key-context";
import { admitUpstreamCall } from "./call-record";

/** An MCP or A2A call admitted under a key gives its slot back however recording it goes. */

const caller: Principal = {
  kind: "virtual_key",
  keyHash: "h1",
  context: { key: { keyAlias: "k", teamId: null, userId: null }, subjects: [] } as unknown as KeyContext,
};

function depsWith(broken: "metrics" | "logger" | "spendLog") {
  const finished: Array<[number, number]> = [];
  const fail = () => {
    throw new Error(`${broken} bug`);
  };
  const deps = {
    limiter: { admit: async () => ({ finish: async (t: number, c: number) => void finished.push([t, c]) }) },
    metrics: { upstreamCall: broken === "metrics" ? fail : () => {} },
    logger: { info: broken === "logger" ? fail : () => {} },
    spendLog: { record: broken === "spendLog" ? fail : () => {} },
  } as unknown as AppDeps;
  return { deps, finished };
}

describe("admitUpstreamCall", () => {
  it.each(["metrics", "logger", "spendLog"] as const)(
    "releases the admission even when recording the call fails (%s)",
    async (broken) => {
      const { deps, finished } = depsWith(broken);
      const done = await admitUpstreamCall(deps, caller, {
        gateway: "mcp",
        upstream: "alpha",
        method: "tools/call",
        tool: "echo",
        requestId: "r1",
      });
      expect(() => done("ok", 5)).toThrow(`${broken} bug`);
      expect(finished).toEqual([[0, 0]]);
      // Once only, however often the caller ends it.
      done("ok", 5);
      expect(finished).toHaveLength(1);
    },
  );
});
