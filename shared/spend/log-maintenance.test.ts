import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../logging/logger";
import { migrate } from "../store/sql/migrate";
import { pgliteSql } from "../store/sql/pglite";
import type { Sql } from "../store/sql/port";
import { createSpendLogPartitions, listSpendLogPartitions } from "../store/tables/spend-log-partitions";
import { retentionInterval } from "./log-maintenance";
import { startSpendLogMaintenance } from "./maintenance-loop";

describe("retentionInterval", () => {
  it("turns LiteLLM's durations into PostgreSQL intervals", () => {
    expect(retentionInterval("30d")).toBe("30 days");
    expect(retentionInterval("2w")).toBe("2 weeks");
    expect(retentionInterval("1mo")).toBe("1 months");
    expect(retentionInterval("12h")).toBe("12 hours");
  });

  it("names the setting when the value is not a duration", () => {
    expect(() => retentionInterval("thirty days")).toThrow(
      'maximum_spend_logs_retention_period: expected a duration such as "30d", got "thirty days"',
    );
  });
});

describe("the maintenance loop", () => {
  let sql: Sql;
  beforeAll(async () => {
    sql = await pgliteSql({});
    await migrate(sql);
  }, 90_000);
  afterAll(() => sql?.close());

  it("runs at start and reads the retention in force at each run", async () => {
    await createSpendLogPartitions(sql, ["2020-01-01"]);
    let retention: string | undefined;
    const loop = startSpendLogMaintenance({
      sql,
      holderId: "gw-1",
      retention: () => retention,
      logger: silentLogger,
    });
    try {
      await loop.runNow();
      expect(await listSpendLogPartitions(sql)).toContain("routeiq_spend_logs_p20200101");
      retention = "90d";
      await loop.runNow();
      const partitions = await listSpendLogPartitions(sql);
      expect(partitions).not.toContain("routeiq_spend_logs_p20200101");
      expect(partitions.length).toBeGreaterThanOrEqual(4);
    } finally {
      await loop.stop();
    }
  });
});
