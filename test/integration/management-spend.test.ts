import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../shared/keys/key-material";
import { writeSpendBatch } from "../../shared/spend/spend-sql";
import type { SpendLogRecord } from "../../shared/store/tables/spend-logs";
import { type ManagementHarness, managementHarness } from "../support/management";

let h: ManagementHarness;
let keyHash: string;
const KEY = "sk-spend-test-key-0000000";

const log = (requestId: string, fields: Partial<SpendLogRecord>): SpendLogRecord => ({
  requestId,
  keyHash: null,
  teamId: null,
  userId: null,
  modelGroup: "gpt-4o",
  deployment: "gpt-4o-eu",
  provider: "openai",
  status: 200,
  promptTokens: 100,
  completionTokens: 20,
  totalTokens: 120,
  spend: 1,
  cacheHit: false,
  startedAt: new Date("2024-06-10T12:00:00Z"),
  endedAt: new Date("2024-06-10T12:00:02Z"),
  metadata: {},
  ...fields,
});

beforeAll(async () => {
  h = await managementHarness();
  keyHash = await hashKey(KEY);
  // As the spend writer logs them: rows and their daily rollups in one transaction.
  await writeSpendBatch(h.sql, [
    log("r1", { keyHash, teamId: "t1", userId: "u1", spend: 0.5 }),
    log("r2", {
      keyHash,
      teamId: "t1",
      modelGroup: "claude",
      spend: 2,
      startedAt: new Date("2024-06-30T23:00:00Z"),
    }),
    log("r3", {
      teamId: "t2",
      status: 502,
      spend: 0,
      cacheHit: true,
      startedAt: new Date("2024-07-01T00:00:00Z"),
    }),
  ]);
});
afterAll(() => h.close());

const ids = (rows: { request_id: string }[]) => rows.map((row) => row.request_id);

describe("spend routes", () => {
  it("lists logs with LiteLLM's field names", async () => {
    const { status, body } = await h.get("/spend/logs?request_id=r1");
    expect(status).toBe(200);
    expect(body).toEqual([
      {
        request_id: "r1",
        api_key: keyHash,
        team_id: "t1",
        user: "u1",
        model: "gpt-4o",
        model_group: "gpt-4o",
        model_id: "gpt-4o-eu",
        custom_llm_provider: "openai",
        spend: 0.5,
        prompt_tokens: 100,
        completion_tokens: 20,
        total_tokens: 120,
        startTime: "2024-06-10T12:00:00.000Z",
        endTime: "2024-06-10T12:00:02.000Z",
        status: "success",
        status_code: 200,
        cache_hit: false,
        metadata: {},
      },
    ]);
    const failed = await h.get("/spend/logs?team_id=t2");
    expect(failed.body[0]).toMatchObject({ status: "failure", status_code: 502, cache_hit: true });
  });

  it("filters by key (as a key or its hash), team, user, dates and limit", async () => {
    expect(ids((await h.get(`/spend/logs?api_key=${KEY}`)).body)).toEqual(["r2", "r1"]);
    expect(ids((await h.get(`/spend/logs?api_key=${keyHash}`)).body)).toEqual(["r2", "r1"]);
    // In a header, so the key stays out of URLs and access logs.
    for (const ref of [KEY, keyHash]) {
      const byHeader = await h.get("/spend/logs", { "x-routeiq-key": ref });
      expect(ids(byHeader.body)).toEqual(["r2", "r1"]);
    }
    expect(ids((await h.get("/spend/logs?user_id=u1")).body)).toEqual(["r1"]);
    // A bare end date includes that whole day.
    expect(ids((await h.get("/spend/logs?start_date=2024-06-01&end_date=2024-06-30")).body)).toEqual([
      "r2",
      "r1",
    ]);
    expect(ids((await h.get("/spend/logs?start_date=2024-06-30T23:00:00Z")).body)).toEqual(["r3", "r2"]);
    expect(ids((await h.get("/spend/logs?limit=1")).body)).toEqual(["r3"]);
  });

  it("filters logs by the model asked for and by outcome", async () => {
    expect(ids((await h.get("/spend/logs?model=claude")).body)).toEqual(["r2"]);
    expect(ids((await h.get("/spend/logs?status=failure")).body)).toEqual(["r3"]);
    expect(ids((await h.get("/spend/logs?status=success&model=gpt-4o")).body)).toEqual(["r1"]);
    const bad = await h.get("/spend/logs?status=broken");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("status");
  });

  it("reports spend, tokens and requests per period and group from the daily rollups, for charts", async () => {
    const byModel = await h.get(
      "/spend/report?group_by=model&period=month&start_date=2024-06-01&end_date=2024-07-31",
    );
    expect(byModel.status).toBe(200);
    expect(byModel.body).toEqual([
      { period: "2024-06-01T00:00:00.000Z", group: "claude", spend: 2, total_tokens: 120, requests: 1 },
      { period: "2024-06-01T00:00:00.000Z", group: "gpt-4o", spend: 0.5, total_tokens: 120, requests: 1 },
      { period: "2024-07-01T00:00:00.000Z", group: "gpt-4o", spend: 0, total_tokens: 120, requests: 1 },
    ]);
    // Weeks start on Monday (2024-06-10 is one); a day bucket is the UTC day.
    const byTeam = await h.get("/spend/report?group_by=team&period=week&end_date=2024-06-29");
    expect(byTeam.body).toEqual([
      { period: "2024-06-10T00:00:00.000Z", group: "t1", spend: 0.5, total_tokens: 120, requests: 1 },
    ]);
    // Requests without a key (r3) belong to no key's rollup.
    const byKey = await h.get("/spend/report?group_by=key&period=day&start_date=2024-06-30");
    expect(
      byKey.body.map((row: { period: string; group: string | null }) => [row.period, row.group]),
    ).toEqual([["2024-06-30T00:00:00.000Z", keyHash]]);
    // The rollups answer even once the log rows are gone (retention drops log partitions).
    await h.sql.query("DELETE FROM routeiq_spend_logs");
    const fromRollups = await h.get(
      "/spend/report?group_by=model&period=month&start_date=2024-06-01&end_date=2024-06-30",
    );
    expect(fromRollups.body.map((row: { group: string }) => row.group)).toEqual(["claude", "gpt-4o"]);
  });

  it("refuses a report over an unbounded or too long range, naming the field", async () => {
    const bad = await h.get("/spend/report?group_by=region");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("group_by");
    const tooLong = await h.get("/spend/report?start_date=2023-01-01&end_date=2024-06-30");
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ param: "start_date" });
    expect(tooLong.body.error.message).toContain("at most 366 days");
    const backwards = await h.get("/spend/report?start_date=2024-06-30&end_date=2024-06-01");
    expect(backwards.body.error).toMatchObject({ param: "end_date" });
    const dateTime = await h.get("/spend/report?start_date=2024-06-30T12:00:00Z");
    expect(dateTime.status).toBe(400);
    expect(dateTime.body.error.message).toContain("start_date");
    // Dates at the calendar's ends are refused by name, not left to fail in the database (500).
    for (const query of ["start_date=9999-12-31&end_date=9999-12-31", "end_date=0000-06-01"]) {
      const edge = await h.get(`/spend/report?${query}`);
      expect(edge.status).toBe(400);
      expect(edge.body.error.message).toContain("from 0002-01-01 to 9998-12-31");
    }
    // A year of days is the most a report covers: the longest range is accepted.
    expect((await h.get("/spend/report?start_date=2024-01-01&end_date=2024-12-31")).status).toBe(200);
  });

  it("reports global spend, in total and per model", async () => {
    expect((await h.get("/global/spend")).body).toEqual({ spend: 2.5, max_budget: null });
    expect((await h.get("/global/spend?end_date=2024-06-29")).body).toEqual({ spend: 0.5, max_budget: null });
    expect((await h.get("/global/spend/models")).body).toEqual([
      { model: "claude", total_spend: 2 },
      { model: "gpt-4o", total_spend: 0.5 },
    ]);
    expect((await h.get("/global/spend/models?limit=1")).body).toEqual([{ model: "claude", total_spend: 2 }]);
  });
});

describe("/spend/keys and the proxy budget", () => {
  it("lists every key, highest spend first", async () => {
    const spender = (await h.post("/key/generate", { key_alias: "spender" })).body.token;
    const idle = (await h.post("/key/generate", { key_alias: "idle" })).body.token;
    await h.post("/key/update", { key: spender, spend: 4 });
    const { status, body } = await h.get("/spend/keys");
    expect(status).toBe(200);
    expect(body.map((k: { token: string; spend: number }) => [k.token, k.spend])).toEqual([
      [spender, 4],
      [idle, 0],
    ]);
    expect(JSON.stringify(body)).not.toMatch(/"key":/);
    expect((await h.get("/spend/keys?limit=1")).body).toHaveLength(1);
    await h.post("/key/delete", { keys: [spender, idle] });
  });

  it("reports the proxy-wide max_budget with global spend", async () => {
    const budgeted = await managementHarness({
      config: { proxyBudget: { maxBudget: 50, budgetDuration: "30d" } },
    });
    try {
      expect((await budgeted.get("/global/spend")).body).toEqual({ spend: 0, max_budget: 50 });
    } finally {
      await budgeted.close();
    }
  });
});
