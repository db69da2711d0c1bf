import { describe, expect, it } from "vitest";
import { type SpendLogEntry, toSpendLogRecord } from "./entry";

const base: SpendLogEntry = {
  requestId: "req-1",
  modelGroup: "gpt-4o",
  status: 200,
  promptTokens: 10,
  completionTokens: 5,
  totalTokens: 15,
  spend: 0.25,
  cacheHit: false,
  startedAt: new Date("2025-01-01T00:00:00Z"),
  endedAt: new Date("2025-01-01T00:00:01Z"),
};

describe("toSpendLogRecord", () => {
  it("maps an entry to a row, absent owners as null and metadata as an object", () => {
    expect(toSpendLogRecord({ ...base, keyHash: "k", metadata: { route: "/v1/chat" } })).toEqual({
      ...base,
      keyHash: "k",
      teamId: null,
      userId: null,
      deployment: null,
      provider: null,
      metadata: { route: "/v1/chat" },
    });
  });

  it("removes what Postgres would reject: NUL in text, lone surrogates", () => {
    const row = toSpendLogRecord({
      ...base,
      requestId: "req\u0000-2",
      teamId: "t\ud800",
      metadata: { note: "a\u0000b", nested: ["x\udc00"], pair: "\ud83d\ude00" },
    });
    expect(row.requestId).toBe("req-2");
    expect(row.teamId).toBe("t\ufffd");
    expect(row.metadata).toEqual({ note: "ab", nested: ["x\ufffd"], pair: "\ud83d\ude00" });
  });

  it("keeps counts within int4 and spend finite, so no row fails and no total turns NaN", () => {
    const row = toSpendLogRecord({
      ...base,
      status: 200.4,
      promptTokens: 1e12,
      completionTokens: -3,
      totalTokens: Number.NaN,
      spend: Number.POSITIVE_INFINITY,
    });
    expect(row).toMatchObject({
      status: 200,
      promptTokens: 2_147_483_647,
      completionTokens: 0,
      totalTokens: 0,
      spend: 0,
    });
  });

  it("stands in for invalid dates and unserialisable metadata rather than failing", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const row = toSpendLogRecord({ ...base, startedAt: new Date(Number.NaN), metadata: cyclic });
    expect(row.startedAt).toEqual(base.endedAt);
    expect(row.metadata).toEqual({ metadata_error: "not serialisable as JSON" });
  });
});
