import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GatewayError } from "../errors";
import { writeSpendBatch } from "../spend/spend-sql";
import { migrations } from "../store/migrations";
import { migrate } from "../store/sql/migrate";
import { pgliteSql } from "../store/sql/pglite";
import type { Sql } from "../store/sql/port";
import type { SpendLogRecord } from "../store/tables/spend-logs";
import { ProxyBudget } from "./proxy-budget";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const DAY = 86_400_000;

const row = (requestId: string, spend: number): SpendLogRecord => ({
  requestId,
  keyHash: null,
  teamId: null,
  userId: null,
  modelGroup: "m",
  deployment: null,
  provider: null,
  status: 200,
  promptTokens: 0,
  completionTokens: 0,
  totalTokens: 0,
  spend,
  cacheHit: false,
  startedAt: new Date(T0),
  endedAt: new Date(T0),
  metadata: {},
});

let sql: Sql;
let now: number;
let budget: ProxyBudget;

beforeAll(async () => {
  sql = await pgliteSql();
  // Spend logged before the proxy budget existed is what the migration seeds it with.
  await migrate(
    sql,
    migrations.filter((m) => m.version < 4),
  );
  // Written as that schema's table took them (before migration 10 partitioned it).
  await sql.query(
    `INSERT INTO routeiq_spend_logs (request_id, model_group, status, spend, started_at, ended_at)
     VALUES ('before-1', 'gpt-4o', 200, 1.5, now(), now()), ('before-2', 'gpt-4o', 200, 0.25, now(), now())`,
  );
  await migrate(sql);
});
afterAll(() => sql.close());

beforeEach(() => {
  now = T0;
  budget = new ProxyBudget({ sql, ttlMs: 5_000, now: () => now });
});

const spend = async () =>
  (await sql.query<{ spend: number }>("SELECT spend FROM routeiq_proxy_budget")).rows[0]?.spend;

describe("the proxy budget's spend", () => {
  it("starts from everything logged before it existed, and grows with every batch written", async () => {
    expect(await spend()).toBe(1.75);
    await writeSpendBatch(sql, [row("after-1", 0.5), row("after-2", 0)]);
    // A retried batch adds nothing twice.
    await writeSpendBatch(sql, [row("after-1", 0.5)]);
    expect(await spend()).toBe(2.25);
    const subject = await budget.subject({ maxBudget: 10, budgetDuration: undefined });
    expect(subject).toMatchObject({
      scope: "proxy",
      id: "proxy",
      maxBudget: 10,
      spend: 2.25,
      budgetResetAt: undefined,
    });
  });
});

describe("the proxy budget's window", () => {
  it("is first started, with spend 0, when a budget_duration is configured, and rolls when it ends", async () => {
    await sql.query("UPDATE routeiq_proxy_budget SET spend = 7, budget_reset_at = NULL");
    const first = await budget.subject({ maxBudget: 10, budgetDuration: "1d" });
    expect(first).toMatchObject({ spend: 0, budgetResetAt: new Date(T0 + DAY) });

    await sql.query("UPDATE routeiq_proxy_budget SET spend = 4");
    // Within the TTL the figure read is reused: the limiter's live counter carries it meanwhile.
    now = T0 + 1_000;
    expect((await budget.subject({ maxBudget: 10, budgetDuration: "1d" })).spend).toBe(0);
    now = T0 + 6_000;
    expect((await budget.subject({ maxBudget: 10, budgetDuration: "1d" })).spend).toBe(4);

    now = T0 + DAY + 60_000;
    const rolled = await budget.subject({ maxBudget: 10, budgetDuration: "1d" });
    expect(rolled).toMatchObject({ spend: 0, budgetResetAt: new Date(now + DAY) });
  });

  it("follows a reload that changes budget_duration without waiting for the TTL", async () => {
    await sql.query("UPDATE routeiq_proxy_budget SET spend = 3, budget_reset_at = NULL");
    expect((await budget.subject({ maxBudget: 10, budgetDuration: undefined })).spend).toBe(3);
    const windowed = await budget.subject({ maxBudget: 10, budgetDuration: "1h" });
    expect(windowed).toMatchObject({ spend: 0, budgetResetAt: new Date(T0 + 3_600_000) });
  });
});

describe("the proxy budget without its database", () => {
  it("keeps the last figure read for a TTL at a time, and refuses with 503 when it never read one", async () => {
    await sql.query("UPDATE routeiq_proxy_budget SET spend = 2, budget_reset_at = NULL");
    let attempts = 0;
    const failing: Sql = {
      ...sql,
      query: () => {
        attempts += 1;
        return Promise.reject(new Error("connection refused"));
      },
    };
    let down = false;
    const flaky: Sql = {
      ...sql,
      query: (text, params) => (down ? failing.query(text, params) : sql.query(text, params)),
    };
    const reader = new ProxyBudget({ sql: flaky, now: () => now });
    expect((await reader.subject({ maxBudget: 10, budgetDuration: undefined })).spend).toBe(2);
    down = true;
    now = T0 + 60_000;
    expect((await reader.subject({ maxBudget: 10, budgetDuration: undefined })).spend).toBe(2);
    // Requests meanwhile do not each wait on the unreachable database.
    now = T0 + 61_000;
    expect((await reader.subject({ maxBudget: 10, budgetDuration: undefined })).spend).toBe(2);
    expect(attempts).toBe(1);

    const never = new ProxyBudget({ sql: failing, now: () => now });
    const refused = await never
      .subject({ maxBudget: 10, budgetDuration: undefined })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ status: 503 });
  });
});
