import { processLogger } from "../../shared/logging/logger";
import { migrate } from "../../shared/store/sql/migrate";
import { parseNodeEnv } from "../gateway/env";
import { chooseSql, openSql } from "../gateway/stores";

/**
 * `npm run migrate`: applies pending migrations to the database the environment names, then exits
 * (the Kubernetes Job, the CDK deploy step). Safe beside gateways migrating at start: they share a lock.
 */
const logger = processLogger(process.env);
try {
  const env = parseNodeEnv(process.env);
  const database = chooseSql(env);
  // A gateway's general_settings.database_url is not read here: say which database this is.
  if (database.kind === "pglite")
    logger.warn("DATABASE_URL is not set: migrating the embedded database", { database: database.source });
  // This process is the migration, so it migrates whatever LITELLM_RUN_DB_MIGRATIONS says.
  const sql = await openSql({ ...env, LITELLM_RUN_DB_MIGRATIONS: false }, logger, database);
  try {
    const { applied } = await migrate(sql);
    logger.info(applied.length > 0 ? "migrations applied" : "database already up to date", { applied });
  } finally {
    await sql.close();
  }
  process.exit(0);
} catch (error) {
  // Node reports a refused dual-stack connect as an AggregateError without a message, but with a code.
  const reason =
    error instanceof Error
      ? error.message || String((error as { code?: unknown }).code ?? error.name)
      : String(error);
  logger.error("migration failed", { error: reason });
  process.exit(1);
}
