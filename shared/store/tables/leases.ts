import type { SqlExecutor } from "../sql/port";

/** A held lease: who holds it, until when (database clock), under which fencing token. */
export interface Lease {
  readonly lockName: string;
  readonly holderId: string;
  readonly expiresAt: Date;
  readonly fencingToken: number;
}

interface LeaseRow {
  lock_name: string;
  holder_id: string;
  expires_at: Date;
  fencing_token: string | number;
}

const toLease = (row: LeaseRow): Lease => ({
  lockName: row.lock_name,
  holderId: row.holder_id,
  expiresAt: new Date(row.expires_at),
  fencingToken: Number(row.fencing_token),
});

/**
 * Takes the lease if it is free or expired, or extends it if `holderId` already holds it: one
 * statement, timed by the database's `now()`, never the caller's clock. The fencing token grows
 * exactly when the holder changes. Undefined when another holder's lease is still running.
 */
export async function acquireLease(
  sql: SqlExecutor,
  lockName: string,
  holderId: string,
  leaseSeconds: number,
): Promise<Lease | undefined> {
  const { rows } = await sql.query<LeaseRow>(
    `INSERT INTO routeiq_leases AS l (lock_name, holder_id, expires_at, fencing_token, acquired_at, renewed_at)
     VALUES ($1, $2, now() + make_interval(secs => $3), 1, now(), now())
     ON CONFLICT (lock_name) DO UPDATE SET
       holder_id = EXCLUDED.holder_id,
       expires_at = EXCLUDED.expires_at,
       fencing_token = l.fencing_token + CASE WHEN l.holder_id = EXCLUDED.holder_id THEN 0 ELSE 1 END,
       acquired_at = CASE WHEN l.holder_id = EXCLUDED.holder_id THEN l.acquired_at ELSE now() END,
       renewed_at = now()
     WHERE l.holder_id = EXCLUDED.holder_id OR l.expires_at <= now()
     RETURNING lock_name, holder_id, expires_at, fencing_token`,
    [lockName, holderId, leaseSeconds],
  );
  return rows[0] === undefined ? undefined : toLease(rows[0]);
}

/**
 * Extends a lease its holder still holds under `fencingToken` and that has not expired. Undefined
 * means leadership is lost: the caller must stop acting as leader at once.
 */
export async function renewLease(
  sql: SqlExecutor,
  lease: Lease,
  leaseSeconds: number,
): Promise<Lease | undefined> {
  const { rows } = await sql.query<LeaseRow>(
    `UPDATE routeiq_leases SET expires_at = now() + make_interval(secs => $4), renewed_at = now()
     WHERE lock_name = $1 AND holder_id = $2 AND fencing_token = $3 AND expires_at > now()
     RETURNING lock_name, holder_id, expires_at, fencing_token`,
    [lease.lockName, lease.holderId, lease.fencingToken, leaseSeconds],
  );
  return rows[0] === undefined ? undefined : toLease(rows[0]);
}

/** Gives the lease up (it expires now), so another replica can take it without waiting. */
export async function releaseLease(sql: SqlExecutor, lease: Lease): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE routeiq_leases SET expires_at = now()
     WHERE lock_name = $1 AND holder_id = $2 AND fencing_token = $3 AND expires_at > now()`,
    [lease.lockName, lease.holderId, lease.fencingToken],
  );
  return rowCount > 0;
}

/** The lease as stored (held or expired), for status pages. */
export async function readLease(sql: SqlExecutor, lockName: string): Promise<Lease | undefined> {
  const { rows } = await sql.query<LeaseRow>(
    "SELECT lock_name, holder_id, expires_at, fencing_token FROM routeiq_leases WHERE lock_name = $1",
    [lockName],
  );
  return rows[0] === undefined ? undefined : toLease(rows[0]);
}

/**
 * Inside a transaction: locks the lease row and says whether `lease` is still current (same holder,
 * same fencing token, not expired by the database's clock). A publish made after a true answer
 * cannot race a takeover, which must wait for this transaction's lock.
 */
export async function lockCurrentLease(tx: SqlExecutor, lease: Lease): Promise<boolean> {
  const { rows } = await tx.query(
    `SELECT 1 FROM routeiq_leases
     WHERE lock_name = $1 AND holder_id = $2 AND fencing_token = $3 AND expires_at > now()
     FOR UPDATE`,
    [lease.lockName, lease.holderId, lease.fencingToken],
  );
  return rows.length > 0;
}
