import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseNodeEnv } from "../../functions/gateway/env";
import { type NodeGateway, startNodeGateway } from "../../functions/gateway/server";
import { jsonLogger } from "../../shared/logging/logger";
import { prometheusMetrics } from "../../shared/metrics/prometheus";
import { pgSql } from "../../shared/store/sql/pg";
import { createTestSchema, type TestSchema } from "../support/postgres";

/**
 * `general_settings.database_url`, as LiteLLM reads it: the database is chosen at start, the
 * config's field winning over DATABASE_URL; keys never land in the embedded database instead.
 */

const MASTER_KEY = "sk-db-test-master";
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function schema(): Promise<TestSchema> {
  const created = await createTestSchema("dburl");
  cleanup.push(() => created.drop());
  return created;
}

async function start(general: Record<string, unknown>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "routeiq-dburl-"));
  const configPath = join(dir, "config.yaml");
  const write = (settings: Record<string, unknown>) =>
    writeFileSync(
      configPath,
      stringify({
        model_list: [{ model_name: "m", litellm_params: { model: "mock/m" } }],
        general_settings: { master_key: MASTER_KEY, ...settings },
      }),
    );
  write(general);
  const logs: Array<Record<string, unknown>> = [];
  const gateway: NodeGateway = await startNodeGateway({
    configPath,
    env,
    nodeEnv: parseNodeEnv({ PORT: "0", HOST: "127.0.0.1", ROUTEIQ_DATA_DIR: dir, ...env }),
    logger: jsonLogger((line) => void logs.push(JSON.parse(line))),
    metrics: prometheusMetrics({ defaultMetrics: false }),
  });
  cleanup.push(() => gateway.shutdown());
  return { gateway, logs, write };
}

async function keyRows(url: string): Promise<number> {
  const sql = pgSql({ connectionString: url });
  try {
    const { rows } = await sql.query<{ n: string }>("SELECT count(*) AS n FROM routeiq_keys");
    return Number(rows[0]?.n);
  } finally {
    await sql.close();
  }
}

async function generateKey(gateway: NodeGateway): Promise<void> {
  const response = await fetch(`${gateway.url}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(response.status).toBe(200);
}

const readinessChecks = async (gateway: NodeGateway) =>
  ((await (await fetch(`${gateway.url}/_health/ready`)).json()) as { checks: Record<string, string> }).checks;

describe("general_settings.database_url", () => {
  it("puts keys in the database it names, with os.environ/DATABASE_URL too", async () => {
    const literal = await schema();
    const { gateway } = await start({ database_url: literal.url });
    await generateKey(gateway);
    expect(await keyRows(literal.url)).toBe(1);
    expect(await readinessChecks(gateway)).toHaveProperty("database", "ok");

    const referenced = await schema();
    const viaEnv = await start({ database_url: "os.environ/DATABASE_URL" }, { DATABASE_URL: referenced.url });
    await generateKey(viaEnv.gateway);
    expect(await keyRows(referenced.url)).toBe(1);
  });

  it("wins over DATABASE_URL, as in LiteLLM, and says so without showing either", async () => {
    const fromConfig = await schema();
    const fromEnv = await schema();
    const { gateway, logs } = await start({ database_url: fromConfig.url }, { DATABASE_URL: fromEnv.url });
    await generateKey(gateway);
    expect(await keyRows(fromConfig.url)).toBe(1);
    await expect(keyRows(fromEnv.url)).rejects.toThrow(/routeiq_keys/);
    const said = logs.find(
      (l) => l.message === "general_settings.database_url is used instead of DATABASE_URL, as LiteLLM does",
    );
    expect(said?.level).toBe("warn");
    expect(JSON.stringify(logs)).not.toContain(fromEnv.url);
    expect(JSON.stringify(logs)).not.toContain(fromConfig.url);
  });

  it("is read once: a reload that changes it is served, keeps the database, and warns to restart", async () => {
    const first = await schema();
    const second = await schema();
    const { gateway, logs, write } = await start({ database_url: first.url });
    write({ database_url: second.url });
    const deadline = Date.now() + 5_000;
    while (!logs.some((l) => l.message === "config reloaded") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const warning = logs.find((l) => String(l.message).startsWith("general_settings.database_url changed"));
    expect(warning?.message).toContain("keeps the database it started with until it is restarted");
    await generateKey(gateway);
    expect(await keyRows(first.url)).toBe(1);
  });
});

describe("LITELLM_RUN_DB_MIGRATIONS=false", () => {
  it("against a database without the schema: not ready, saying to run npm run migrate, until migrated", async () => {
    const empty = await schema();
    const { gateway, logs } = await start(
      {},
      { DATABASE_URL: empty.url, LITELLM_RUN_DB_MIGRATIONS: "false" },
    );
    const checks = await readinessChecks(gateway);
    expect(checks.schema).toMatch(
      /^the database schema lacks migrations 1 \(keys-teams-users-spend\), 2 .*: run `npm run migrate`/,
    );
    const ready = await fetch(`${gateway.url}/_health/ready`);
    expect(ready.status).toBe(503);
    const deadline = Date.now() + 5_000;
    while (
      !logs.some((l) => l.message === "database schema is behind this gateway") &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(logs.find((l) => l.message === "database schema is behind this gateway")?.error).toContain(
      "run `npm run migrate`",
    );

    const { migrate } = await import("../../shared/store/sql/migrate");
    const sql = pgSql({ connectionString: empty.url });
    try {
      await migrate(sql);
    } finally {
      await sql.close();
    }
    expect((await fetch(`${gateway.url}/_health/ready`)).status).toBe(200);
  });
});
