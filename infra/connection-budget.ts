/**
 * How PostgreSQL's `max_connections` is shared on the Lambda deployment, where every container is
 * its own process with its own pool:
 *
 *   proxy percent        = ⌊100 × (max_connections − RESERVED_CONNECTIONS) / max_connections⌋
 *   proxy pool           = ⌊max_connections × proxy percent / 100⌋
 *   gateway concurrency  = ⌊(proxy pool − SYNC_POOL_MAX) / LAMBDA_POOL_MAX⌋
 *
 * so that even with every gateway container holding a full pool (sessions the proxy cannot
 * multiplex, such as a transaction in flight), the migration, operators and RDS still get in.
 */

/**
 * Kept back from the proxy: the migration (direct, one connection), operators' sessions, and the
 * five RDS reserves for its own superusers (`superuser_reserved_connections` 3 and
 * `rds.rds_superuser_reserved_connections` 2).
 */
export const RESERVED_CONNECTIONS = 20;

/** DATABASE_POOL_MAX of each gateway container: it serves one request at a time. */
export const LAMBDA_POOL_MAX = 2;

/** DATABASE_POOL_MAX of the sync function: one run per tick, one lease and one publish. */
export const SYNC_POOL_MAX = 2;

export interface ConnectionBudget {
  /** The proxy's MaxConnectionsPercent: the share of max_connections it may open. */
  readonly proxyMaxConnectionsPercent: number;
  /** The gateway Lambda's reserved concurrency when none is given. */
  readonly gatewayConcurrency: number;
}

/** The budget for a database with `maxConnections` (settings.ts refuses fewer than 50). */
export function connectionBudget(maxConnections: number): ConnectionBudget {
  // The proxy takes a whole percentage, so its pool is rounded down from max − reserved.
  const proxyMaxConnectionsPercent = Math.floor(
    (100 * (maxConnections - RESERVED_CONNECTIONS)) / maxConnections,
  );
  const proxyPool = Math.floor((maxConnections * proxyMaxConnectionsPercent) / 100);
  return {
    proxyMaxConnectionsPercent,
    gatewayConcurrency: Math.floor((proxyPool - SYNC_POOL_MAX) / LAMBDA_POOL_MAX),
  };
}
