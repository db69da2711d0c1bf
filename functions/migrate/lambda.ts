import type { Env } from "../../shared/config/load";
import { type Logger, processLogger } from "../../shared/logging/logger";
import { migrate } from "../../shared/store/sql/migrate";
import { lazySecretsManagerReader } from "../aws/lazy-secrets-manager";
import { oncePerContainer } from "../aws/once-per-container";
import { resolveSecretEnv, type SecretReader } from "../aws/secrets-env";
import { parseNodeEnv } from "../gateway/env";
import { openSql } from "../gateway/stores";
import { applyDatabaseRoles } from "./database-roles";
import { loginRolesFromEnv } from "./role-secrets";

// Node reports a refused dual-stack connect as an AggregateError without a message, but with a code.
const reasonOf = (error: unknown) =>
  error instanceof Error
    ? error.message || String((error as { code?: unknown }).code ?? error.name)
    : String(error);

/**
 * Applies pending migrations to the database DATABASE_URL (or DATABASE_SECRET_ARN) names, as
 * `npm run migrate` does, then sets up the login roles ROUTEIQ_DATABASE_ROLES names (the gateway's
 * and the sync's, with only the privileges they use). The CDK runs it once per deploy as a
 * Trigger: a failure throws, so the deploy fails instead of shipping gateways onto an old schema.
 */
export function migrateHandler(options: {
  readonly env: Env;
  readonly secrets: () => SecretReader;
  readonly logger?: Logger;
}): () => Promise<{ applied: number[] }> {
  const logger = options.logger ?? processLogger(process.env);
  const environment = oncePerContainer(() => resolveSecretEnv(options.env, options.secrets));
  return async function migrateDatabase() {
    try {
      const env = await environment();
      const nodeEnv = parseNodeEnv(env);
      if (nodeEnv.DATABASE_URL === undefined)
        throw new Error("DATABASE_URL is not set (nor DATABASE_SECRET_ARN): there is no database to migrate");
      const loginRoles = await loginRolesFromEnv(env, options.secrets);
      // This function is the migration, so it migrates whatever LITELLM_RUN_DB_MIGRATIONS says.
      const sql = await openSql({ ...nodeEnv, LITELLM_RUN_DB_MIGRATIONS: false }, logger);
      try {
        const { applied } = await migrate(sql);
        logger.info(applied.length > 0 ? "migrations applied" : "database already up to date", { applied });
        if (loginRoles.length > 0) {
          await applyDatabaseRoles(sql, loginRoles);
          logger.info("database roles applied", { roles: loginRoles.map((role) => role.name) });
        }
        return { applied };
      } finally {
        await sql.close();
      }
    } catch (error) {
      const reason = reasonOf(error);
      logger.error("migration failed", { error: reason });
      throw error instanceof Error && error.message !== "" ? error : new Error(`migration failed: ${reason}`);
    }
  };
}

/** `index.handler` in dist/lambda/migrate. */
export const handler = migrateHandler({ env: process.env, secrets: () => lazySecretsManagerReader() });
