import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { Logger } from "../../shared/logging/logger";
import { chooseSql, type SqlChoice, type StoreEnv } from "./stores";

/**
 * The database a gateway uses, chosen once at start as LiteLLM chooses it: the config's
 * `general_settings.database_url` when set (it wins over DATABASE_URL), else DATABASE_URL, else
 * the embedded database. A database asked for is never swapped for the embedded one: a value that
 * cannot be used fails the start, naming where it came from.
 */
export function chooseDatabase(options: {
  readonly nodeEnv: StoreEnv;
  /** The raw environment: LiteLLM's database variables RouteIQ does not read are looked for here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly config: Pick<RuntimeConfig, "databaseUrl">;
  readonly configPath: string;
  readonly logger: Logger;
}): SqlChoice {
  const { nodeEnv: env, config, configPath, logger } = options;
  const url = config.databaseUrl;
  if (url === undefined) {
    const choice = chooseSql(env);
    if (choice.kind === "pglite") refuseUnreadDatabaseParts(options.env);
    return choice;
  }
  const field = `general_settings.database_url in ${configPath}`;
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== url) {
    logger.warn("general_settings.database_url is used instead of DATABASE_URL, as LiteLLM does", {
      config: configPath,
    });
  }
  const source = env.DATABASE_URL === url ? `DATABASE_URL (read by ${field})` : field;
  return { kind: "postgres", connectionString: url, source };
}

/**
 * LiteLLM builds a database URL from these when DATABASE_URL is unset; RouteIQ reads only
 * DATABASE_URL (DATABASE_HOST, DATABASE_NAME fill in DATABASE_SECRET_ARN's secret, which sets it).
 * Set without it, they ask for a database, and the embedded one would answer in its place.
 */
const DATABASE_PARTS = Object.freeze([
  "DATABASE_HOST",
  "DATABASE_USERNAME",
  "DATABASE_PASSWORD",
  "DATABASE_NAME",
]);

function refuseUnreadDatabaseParts(env: Readonly<Record<string, string | undefined>>): void {
  const set = DATABASE_PARTS.filter((name) => env[name] !== undefined && env[name] !== "");
  if (set.length === 0) return;
  throw new Error(
    `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set but DATABASE_URL is not: RouteIQ connects with DATABASE_URL (postgresql://user:password@host:5432/routeiq) or general_settings.database_url; set one, or unset ${set.join(", ")} to use the embedded database`,
  );
}

/** `env` with DATABASE_URL naming the database in use: what the sync's leader election defaults on. */
export function withDatabase<E extends Readonly<Record<string, string | undefined>>>(
  env: E,
  database: SqlChoice,
): E {
  return database.kind === "postgres" ? { ...env, DATABASE_URL: database.connectionString } : env;
}

/**
 * For ConfigHolder's `onSwap`: a reload that changes `general_settings.database_url` is served,
 * but the database stays the one the process started with, and the log says so.
 */
export function warnOnDatabaseChange(logger: Logger) {
  return function databaseChange(previous: RuntimeConfig, next: RuntimeConfig, source: string): void {
    if (previous.databaseUrl === next.databaseUrl) return;
    logger.warn(
      "general_settings.database_url changed: the database is chosen when the process starts, so this one keeps the database it started with until it is restarted",
      { source },
    );
  };
}
