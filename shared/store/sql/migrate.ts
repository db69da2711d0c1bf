import { type Migration, migrations } from "../migrations";
import type { Sql } from "./port";

/**
 * Arbitrary but fixed: every process migrating this database contends for the same lock. A
 * transaction-level lock is released by COMMIT or ROLLBACK, so a crashed migrator never holds it.
 * PGlite has advisory locks too (and only one connection, so the lock never waits there).
 */
const MIGRATION_LOCK_ID = 7_359_122_042_608_151n;

function checkOrder(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    const previous = list[index - 1];
    if (previous !== undefined && migration.version <= previous.version) {
      throw new Error(
        `migrations out of order: ${migration.version} (${migration.name}) follows ${previous.version}`,
      );
    }
  });
}

/**
 * Applies the migrations this database has not seen, in order, in one transaction. Safe to run
 * from many processes at once: the first takes the lock and migrates, the others wait for it and
 * then find nothing left to do. A failing migration rolls back every one of this run.
 */
export async function migrate(
  sql: Sql,
  list: readonly Migration[] = migrations,
): Promise<{ applied: number[] }> {
  checkOrder(list);
  return sql.transaction(async (tx) => {
    // Before CREATE TABLE IF NOT EXISTS: two concurrent creations of one table can both fail.
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await tx.query(`
      CREATE TABLE IF NOT EXISTS routeiq_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await tx.query<{ version: number }>("SELECT version FROM routeiq_migrations");
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of list) {
      if (done.has(migration.version)) continue;
      try {
        await tx.query(migration.sql);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`migration ${migration.version} (${migration.name}) failed: ${reason}`, {
          cause: error,
        });
      }
      await tx.query("INSERT INTO routeiq_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied };
  });
}
