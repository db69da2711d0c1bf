import type { Sql } from "../sql/port";
import { type Lease, lockCurrentLease } from "./leases";

export interface ConfigRevision {
  readonly revision: number;
  readonly lockName: string;
  readonly etag: string | null;
  readonly checksum: string;
  readonly body: string;
  readonly publisher: string;
  readonly fencingToken: number;
  readonly createdAt: Date;
}

interface RevisionRow {
  revision: string | number;
  lock_name: string;
  etag: string | null;
  checksum: string;
  body: string;
  publisher: string;
  fencing_token: string | number;
  created_at: Date;
}

const toRevision = (row: RevisionRow): ConfigRevision => ({
  revision: Number(row.revision),
  lockName: row.lock_name,
  etag: row.etag,
  checksum: row.checksum,
  body: row.body,
  publisher: row.publisher,
  fencingToken: Number(row.fencing_token),
  createdAt: new Date(row.created_at),
});

/**
 * Publishes a revision only while `lease` is still current: in one transaction the lease row is
 * locked and checked (same holder, same fencing token, not expired by the database's clock), so a
 * paused or partitioned ex-leader is refused by the database, whatever it believes.
 * Undefined when the fencing check refused the publish.
 */
export async function publishRevision(
  sql: Sql,
  lease: Lease,
  revision: { etag: string | null; checksum: string; body: string },
): Promise<ConfigRevision | undefined> {
  return sql.transaction(async (tx) => {
    if (!(await lockCurrentLease(tx, lease))) return undefined;
    const { rows } = await tx.query<RevisionRow>(
      `INSERT INTO routeiq_config_revisions (lock_name, etag, checksum, body, publisher, fencing_token)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING revision, lock_name, etag, checksum, body, publisher, fencing_token, created_at`,
      [lease.lockName, revision.etag, revision.checksum, revision.body, lease.holderId, lease.fencingToken],
    );
    return rows[0] === undefined ? undefined : toRevision(rows[0]);
  });
}

/** The newest revision published under `lockName`, if any. */
export async function latestRevision(sql: Sql, lockName: string): Promise<ConfigRevision | undefined> {
  const { rows } = await sql.query<RevisionRow>(
    `SELECT revision, lock_name, etag, checksum, body, publisher, fencing_token, created_at
     FROM routeiq_config_revisions WHERE lock_name = $1 ORDER BY revision DESC LIMIT 1`,
    [lockName],
  );
  return rows[0] === undefined ? undefined : toRevision(rows[0]);
}
