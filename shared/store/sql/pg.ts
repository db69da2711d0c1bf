import pg from "pg";
import { abortable } from "../abortable";
import type { QueryResult, Sql, SqlExecutor } from "./port";
import { classifyDatabaseError } from "./unavailable";

export interface PgSqlOptions {
  readonly connectionString: string;
  /** Connections in the pool; every replica holds up to this many, so size it against max_connections. */
  readonly max?: number;
  /** TLS settings; `sslmode` in the connection string takes precedence. */
  readonly ssl?: pg.PoolConfig["ssl"];
  /** Errors of idle connections (a server restart, a failover); the pool replaces them itself. */
  readonly onError?: (error: Error) => void;
}

type Queryable = Pick<pg.PoolClient, "query">;

/** Unavailability (down, failing over, connection lost) becomes DatabaseUnavailableError for every caller. */
const rethrowClassified = (error: unknown): never => {
  throw classifyDatabaseError(error);
};

/**
 * Without parameters `pg` uses the simple protocol, which allows several statements (migrations)
 * and answers with one result per statement; the port returns the last one.
 */
function executor(target: Queryable): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const raw = (await target.query(text, params as unknown[]).catch(rethrowClassified)) as
        | pg.QueryResult
        | pg.QueryResult[];
      const result = Array.isArray(raw) ? raw[raw.length - 1] : raw;
      if (result === undefined) return { rows: [], rowCount: 0 };
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
  };
}

/** PostgreSQL over TCP (RDS, any Postgres) through one keep-alive `pg` pool per process. */
export function pgSql(options: PgSqlOptions): Sql {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    ssl: options.ssl,
    max: options.max ?? 10,
    // Idle connections go back to the server; a quiet replica should not pin its share.
    idleTimeoutMillis: 30_000,
    // A database that does not accept connections must fail the caller, not queue it forever.
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
  });
  // An idle connection that dies emits 'error' on the pool; unhandled, it would end the process.
  pool.on("error", (error) => options.onError?.(error));

  const sql: Sql = {
    ...executor(pool),

    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect().catch(rethrowClassified);
      let broken: Error | undefined;
      // pg-pool listens for errors only while a client is idle; a connection lost mid-transaction
      // would otherwise emit an unhandled 'error' and end the process.
      const onError = (error: Error) => {
        broken ??= error;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await work(executor(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          // A connection that cannot roll back is in an unknown state: destroy it, keep the first error.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw classifyDatabaseError(error);
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },

    async ping(signal?: AbortSignal): Promise<void> {
      await abortable(pool.query("SELECT 1").catch(rethrowClassified), signal);
    },

    async close(): Promise<void> {
      await pool.end();
    },
  };
  return sql;
}
