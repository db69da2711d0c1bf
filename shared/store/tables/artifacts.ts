import type { Sql } from "../sql/port";
import { type Lease, lockCurrentLease } from "./leases";

export interface Artifact {
  readonly revision: number;
  readonly name: string;
  readonly etag: string | null;
  readonly checksum: string;
  readonly publisher: string;
  readonly fencingToken: number;
  readonly createdAt: Date;
}

interface ArtifactRow {
  revision: string | number;
  name: string;
  etag: string | null;
  checksum: string;
  publisher: string;
  fencing_token: string | number;
  created_at: Date;
}

const toArtifact = (row: ArtifactRow): Artifact => ({
  revision: Number(row.revision),
  name: row.name,
  etag: row.etag,
  checksum: row.checksum,
  publisher: row.publisher,
  fencingToken: Number(row.fencing_token),
  createdAt: new Date(row.created_at),
});

const COLUMNS = "revision, name, etag, checksum, publisher, fencing_token, created_at";

/** Publishes an artifact under `lease`, fenced like a config revision; undefined when refused. */
export async function publishArtifact(
  sql: Sql,
  lease: Lease,
  artifact: { name: string; etag: string | null; checksum: string; body: Uint8Array },
): Promise<Artifact | undefined> {
  return sql.transaction(async (tx) => {
    if (!(await lockCurrentLease(tx, lease))) return undefined;
    const { rows } = await tx.query<ArtifactRow>(
      `INSERT INTO routeiq_artifacts (name, etag, checksum, body, publisher, fencing_token)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [artifact.name, artifact.etag, artifact.checksum, artifact.body, lease.holderId, lease.fencingToken],
    );
    return rows[0] === undefined ? undefined : toArtifact(rows[0]);
  });
}

/** The newest published version of `name` (without its body). */
export async function latestArtifact(sql: Sql, name: string): Promise<Artifact | undefined> {
  const { rows } = await sql.query<ArtifactRow>(
    `SELECT ${COLUMNS} FROM routeiq_artifacts WHERE name = $1 ORDER BY revision DESC LIMIT 1`,
    [name],
  );
  return rows[0] === undefined ? undefined : toArtifact(rows[0]);
}

/** The body of one published version, checked against its checksum by the caller. */
export async function artifactBody(sql: Sql, revision: number): Promise<Uint8Array | undefined> {
  const { rows } = await sql.query<{ body: Uint8Array }>(
    "SELECT body FROM routeiq_artifacts WHERE revision = $1",
    [revision],
  );
  return rows[0]?.body;
}
