import { describe, expect, it } from "vitest";
import { migrations } from "../migrations";
import type { SqlExecutor } from "./port";
import { missingMigrations, schemaBehindMessage } from "./schema-version";

const answering = (versions: number[]): SqlExecutor => ({
  query: async <Row>() => ({
    rows: versions.map((version) => ({ version })) as Row[],
    rowCount: versions.length,
  }),
});
const failing = (code: string): SqlExecutor => ({
  query: async () => {
    throw Object.assign(new Error(`failed with ${code}`), { code });
  },
});

describe("missingMigrations", () => {
  it("lists what the database lacks, all of it on a database no migration ran on", async () => {
    expect(await missingMigrations(answering(migrations.slice(0, -1).map((m) => m.version)))).toEqual(
      migrations.slice(-1),
    );
    expect(await missingMigrations(answering(migrations.map((m) => m.version)))).toEqual([]);
    expect(await missingMigrations(failing("42P01"))).toEqual(migrations);
  });

  it("cannot tell for a role that may not read the migrations table, and fails on anything else", async () => {
    expect(await missingMigrations(failing("42501"))).toBeUndefined();
    await expect(missingMigrations(failing("08006"))).rejects.toThrow("failed with 08006");
  });

  it("says which migrations are missing and what to run", () => {
    expect(schemaBehindMessage(migrations.slice(1, 2))).toBe(
      `the database schema lacks migration 2 (${migrations[1]?.name}): run \`npm run migrate\` against this database (LITELLM_RUN_DB_MIGRATIONS=false keeps the gateway from migrating it itself)`,
    );
  });
});
