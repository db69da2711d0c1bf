import pg from "pg";

/**
 * Creates the database `url` names when it does not exist, through the server's `postgres`
 * database. For the local tools' own default databases only: a database named explicitly is used
 * as given, so a mistyped name fails instead of creating a stray one. `variable` is the setting
 * the error names (DATABASE_URL, BENCH_DATABASE_URL).
 */
export async function createDatabaseIfMissing(url: string, variable: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } catch (error) {
    // Another run created it between the check and the CREATE: duplicate_database, or the catalog's
    // unique_violation when both CREATEs ran at once.
    const code = (error as { code?: string }).code;
    if (code === "42P04" || code === "23505") return;
    const cause = error instanceof Error ? error.message || code : String(error);
    throw new Error(
      `cannot create database ${name} on ${target.host} (the default when ${variable} is unset; set ${variable} to a database of yours): ${cause}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
