/**
 * The SQL port: parameterised statements (`$1, $2`) against PostgreSQL, whether that is `pg` over
 * TCP, Neon's serverless driver, or PGlite embedded. SQL is written once, for Postgres.
 */
export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

export interface Sql extends SqlExecutor {
  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Cheap round trip on a pooled connection, for readiness probes. */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
