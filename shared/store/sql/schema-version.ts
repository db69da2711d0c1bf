import { type Migration, migrations } from "../migrations";
import type { SqlExecutor } from "./port";

// SQLSTATE undefined_table: a database no migration ever ran on.
const UNDEFINED_TABLE = "42P01";
// SQLSTATE insufficient_privilege: a least-privilege gateway role may not read the migrations table.
const INSUFFICIENT_PRIVILEGE = "42501";

/**
 * The migrations this database has not applied, in order (all of them on a fresh database), or
 * undefined when this role may not read `routeiq_migrations` (the AWS gateway role), which
 * leaves the question to whoever migrates.
 */
export async function missingMigrations(
  sql: SqlExecutor,
  list: readonly Migration[] = migrations,
): Promise<Migration[] | undefined> {
  let applied: Set<number>;
  try {
    const { rows } = await sql.query<{ version: number }>("SELECT version FROM routeiq_migrations");
    applied = new Set(rows.map((row) => row.version));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === INSUFFICIENT_PRIVILEGE) return undefined;
    if (code !== UNDEFINED_TABLE) throw error;
    applied = new Set();
  }
  return list.filter((migration) => !applied.has(migration.version));
}

/** What an operator reads when the schema is behind the code: which migrations, and what to run. */
export function schemaBehindMessage(missing: readonly Migration[]): string {
  const names = missing.map((m) => `${m.version} (${m.name})`).join(", ");
  return `the database schema lacks migration${missing.length === 1 ? "" : "s"} ${names}: run \`npm run migrate\` against this database (LITELLM_RUN_DB_MIGRATIONS=false keeps the gateway from migrating it itself)`;
}
