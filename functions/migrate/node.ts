import { processLogger } from "../../shared/logging/logger";
import { migrate } from "../../shared/store/sql/migrate";
import { parseNodeEnv } from "../gateway/env";
import { openSql } from "../gateway/stores";

/**
 * `npm run migrate`: applies pending migrations to the database the environment names, then exits
 * (the Kubernetes Job, the CDK deploy step). Safe beside gateways migrating at start: they share a lock.
 */
const logger = processLogger(process.env);
try {
  // This process is the migration, so it migrates whatever LITELLM_RUN_DB_MIGRATIONS says.
  const sql = await openSql({ ...parseNodeEnv(process.env), LITELLM_RUN_DB_MIGRATIONS: false }, logger);
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
