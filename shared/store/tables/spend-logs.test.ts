import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migrate } from "../sql/migrate";
import { pgliteSql } from "../sql/pglite";
import type { Sql } from "../sql/port";
import { globalSpend, insertSpendLogs, querySpendLogs, type SpendLogRecord } from "./spend-logs";

let sql: Sql;
beforeAll(async () => {
  sql = await pgliteSql();
  await migrate(sql);
});
afterAll(() => sql.close());
beforeEach(async () => {
  await sql.query("TRUNCATE routeiq_spend_logs");
});

const log = (requestId: string, fields: Partial<SpendLogRecord> = {}): SpendLogRecord => ({
  requestId,
  keyHash: "k1",
  teamId: "t1",
  userId: null,
  modelGroup: "gpt-4o",
  deployment: "azure-eu",
  provider: "azure",
  status: 200,
  promptTokens: 10,
  completionTokens: 5,
  totalTokens: 15,
  spend: 0.5,
  cacheHit: false,
  startedAt: new Date("2024-06-01T10:00:00Z"),
  endedAt: new Date("2024-06-01T10:00:01Z"),
  metadata: { route: "/chat/completions" },
  ...fields,
});

describe("spend logs table", () => {
  it("round-trips every column with its type", async () => {
    const row = log("r1", { userId: "u1", cacheHit: true, metadata: { nested: { a: [1, 2] } } });
    expect(await insertSpendLogs(sql, [row])).toBe(1);
    expect(await querySpendLogs(sql, { limit: 10 })).toEqual([row]);
  });

  it("skips request ids it already has, so a retried batch writes nothing twice", async () => {
    expect(await insertSpendLogs(sql, [log("a"), log("b")])).toBe(2);
    expect(await insertSpendLogs(sql, [log("b"), log("c")])).toBe(1);
    expect(await insertSpendLogs(sql, [])).toBe(0);
    const { rows } = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM routeiq_spend_logs");
    expect(rows[0]?.n).toBe(3);
  });

  it("writes a batch larger than one statement's parameter limit", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => log(`bulk-${i}`));
    expect(await insertSpendLogs(sql, rows)).toBe(5000);
  });

  it("filters by key, team, user, request and a half-open time range, newest first", async () => {
    await insertSpendLogs(sql, [
      log("early", { startedAt: new Date("2024-05-31T23:59:59Z") }),
      log("start", { startedAt: new Date("2024-06-01T00:00:00Z") }),
      log("other-key", {
        keyHash: "k2",
        teamId: "t2",
        userId: "u2",
        startedAt: new Date("2024-06-01T05:00:00Z"),
      }),
      log("end", { startedAt: new Date("2024-06-02T00:00:00Z") }),
    ]);
    const ids = (logs: SpendLogRecord[]) => logs.map((l) => l.requestId);
    const june1 = { startDate: new Date("2024-06-01T00:00:00Z"), endDate: new Date("2024-06-02T00:00:00Z") };
    expect(ids(await querySpendLogs(sql, { ...june1, limit: 10 }))).toEqual(["other-key", "start"]);
    expect(ids(await querySpendLogs(sql, { keyHash: "k1", limit: 10 }))).toEqual(["end", "start", "early"]);
    expect(ids(await querySpendLogs(sql, { teamId: "t2", limit: 10 }))).toEqual(["other-key"]);
    expect(ids(await querySpendLogs(sql, { userId: "u2", limit: 10 }))).toEqual(["other-key"]);
    expect(ids(await querySpendLogs(sql, { requestId: "early", limit: 10 }))).toEqual(["early"]);
    expect(ids(await querySpendLogs(sql, { limit: 1 }))).toEqual(["end"]);
  });

  it("sums spend overall and per model, highest first", async () => {
    await insertSpendLogs(sql, [
      log("1", { modelGroup: "small", spend: 0.25 }),
      log("2", { modelGroup: "big", spend: 2 }),
      log("3", { modelGroup: "small", spend: 0.5, startedAt: new Date("2024-07-01T00:00:00Z") }),
    ]);
    expect(await globalSpend(sql)).toEqual({
      total: 2.75,
      perModel: [
        { model: "big", spend: 2 },
        { model: "small", spend: 0.75 },
      ],
    });
    const june = await globalSpend(sql, { endDate: new Date("2024-07-01T00:00:00Z") });
    expect(june.total).toBe(2.25);
    expect(await globalSpend(sql, { startDate: new Date("2030-01-01T00:00:00Z") })).toEqual({
      total: 0,
      perModel: [],
    });
  });
});
