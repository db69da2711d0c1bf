import type { pgliteSql as embeddedSql } from "../../shared/store/sql/pglite";
import type { pgliteThreadSql as embeddedThreadSql } from "../../shared/store/sql/pglite-thread";

/**
 * Stands in for shared/store/sql/pglite.ts and pglite-thread.ts in the Lambda bundles (infra/bundle.mjs aliases it),
 * so PGlite's WASM stays out of them: a database inside one container would be invisible to every
 * other one, and the Lambda entries refuse to start without PostgreSQL before reaching this.
 */
export const pgliteSql: typeof embeddedSql = async () => {
  throw new Error(
    "the embedded database (PGlite) is not in the Lambda bundles: set DATABASE_URL or DATABASE_SECRET_ARN",
  );
};

export const pgliteThreadSql: typeof embeddedThreadSql = (options) => pgliteSql(options);
