import { mkdir } from "node:fs/promises";
import { PGlite, type Results, types } from "@electric-sql/pglite";
import { abortable } from "../abortable";
import type { QueryResult, Sql, SqlExecutor } from "./port";

export interface PgliteSqlOptions {
  /** Where the database lives on disk; in memory (gone at exit) when undefined. */
  readonly dataDir?: string;
}

type Queryable = Pick<PGlite, "query" | "exec">;

function toResult<Row>(result: Results | undefined): QueryResult<Row> {
  if (result === undefined) return { rows: [], rowCount: 0 };
  return {
    rows: result.rows as Row[],
    rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
  };
}

/**
 * Mirrors `pg`: a statement without parameters goes over the simple protocol (several statements
 * allowed, the last one's result returned), one with parameters over the extended protocol.
 */
export function executor(target: Queryable): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      if (params.length === 0) {
        const results = await target.exec(text);
        return toResult<Row>(results[results.length - 1]);
      }
      return toResult<Row>(await target.query(text, params as unknown[]));
    },
  };
}

/**
 * PostgreSQL's memory settings for the embedded database, sized for what it holds (keys, a spend
 * log, a few thousand rows a minute), not for a server: WASM memory only grows, so PGlite's default
 * 128 MB of shared buffers would stay in the gateway's RSS once a soak had touched them.
 */
export const EMBEDDED_POSTGRES_CONF = Object.freeze([
  "shared_buffers = 16MB",
  "work_mem = 2MB",
  "maintenance_work_mem = 8MB",
  "temp_buffers = 2MB",
]);

/** A PGlite database as the Sql adapters expect it, its directory made when missing. */
export async function openPglite(options: PgliteSqlOptions): Promise<PGlite> {
  // PGlite creates the data directory itself, but not its parents.
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  return PGlite.create(options.dataDir, {
    // `pg` returns int8 (count(*), bigserial) as strings, since they can exceed 2^53; so must we.
    parsers: { [types.INT8]: (value: string) => value },
    postgresqlconf: [...EMBEDDED_POSTGRES_CONF],
  });
}

/**
 * The embedded default: real PostgreSQL compiled to WASM, in this process. It has one connection,
 * so PGlite queues every query behind a running transaction; transactions never interleave.
 */
export async function pgliteSql(options: PgliteSqlOptions = {}): Promise<Sql> {
  const db = await openPglite(options);
  return {
    ...executor(db),
    transaction: (work) => db.transaction((tx) => work(executor(tx))),
    async ping(signal?: AbortSignal): Promise<void> {
      await abortable(db.query("SELECT 1"), signal);
    },
    close: () => db.close(),
  };
}
