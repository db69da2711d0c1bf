import type { SqlExecutor } from "../sql/port";
import { type ColumnMap, insertStatement, selectList, updateStatement } from "./columns";
import { LIMIT_COLUMNS, type LimitFields, TIMESTAMP_COLUMNS, type Timestamps } from "./limits";

/** A virtual key as stored: its hash, never the key itself. */
export interface KeyRecord extends LimitFields, Timestamps {
  keyHash: string;
  keyName: string;
  keyAlias: string | null;
  teamId: string | null;
  userId: string | null;
  expiresAt: Date | null;
  blocked: boolean;
}

type Owned = "keyHash" | "keyName" | keyof Timestamps;
export type KeyInsert = Pick<KeyRecord, "keyHash" | "keyName"> & Partial<Omit<KeyRecord, Owned>>;
export type KeyPatch = Partial<Omit<KeyRecord, Owned>>;

export interface KeyListQuery {
  teamId?: string;
  userId?: string;
  keyAlias?: string;
  /** 1-based. */
  page: number;
  size: number;
}

const TABLE = "routeiq_keys";
const COLUMNS: ColumnMap<KeyRecord> = {
  keyHash: "key_hash",
  keyName: "key_name",
  keyAlias: "key_alias",
  teamId: "team_id",
  userId: "user_id",
  expiresAt: "expires_at",
  blocked: "blocked",
  ...LIMIT_COLUMNS,
  ...TIMESTAMP_COLUMNS,
};
const SELECT = `SELECT ${selectList(COLUMNS)} FROM ${TABLE}`;

export async function insertKey(sql: SqlExecutor, key: KeyInsert): Promise<KeyRecord> {
  const { text, params } = insertStatement(TABLE, COLUMNS, key);
  const { rows } = await sql.query<KeyRecord>(text, params);
  return rows[0] as KeyRecord;
}

export async function getKeyByHash(sql: SqlExecutor, keyHash: string): Promise<KeyRecord | undefined> {
  const { rows } = await sql.query<KeyRecord>(`${SELECT} WHERE key_hash = $1`, [keyHash]);
  return rows[0];
}

/** The keys that exist among `keyHashes`, in no particular order: one query however many are asked. */
export async function getKeysByHash(sql: SqlExecutor, keyHashes: readonly string[]): Promise<KeyRecord[]> {
  const { rows } = await sql.query<KeyRecord>(`${SELECT} WHERE key_hash = ANY($1::text[])`, [keyHashes]);
  return rows;
}

/** One page of keys, newest first, with the count of all that match. */
export async function listKeys(
  sql: SqlExecutor,
  query: KeyListQuery,
): Promise<{ keys: KeyRecord[]; total: number }> {
  const filters: string[] = [];
  const params: unknown[] = [];
  const filter = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    filters.push(`${column} = $${params.length}`);
  };
  filter("team_id", query.teamId);
  filter("user_id", query.userId);
  filter("key_alias", query.keyAlias);
  const where = filters.length === 0 ? "" : ` WHERE ${filters.join(" AND ")}`;
  const count = await sql.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM ${TABLE}${where}`,
    params,
  );
  const page = await sql.query<KeyRecord>(
    `${SELECT}${where} ORDER BY created_at DESC, key_hash LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, query.size, (query.page - 1) * query.size],
  );
  return { keys: page.rows, total: count.rows[0]?.total ?? 0 };
}

/** Every key of one team, or of one user, oldest first. */
export async function keysOwnedBy(
  sql: SqlExecutor,
  owner: { teamId: string } | { userId: string },
): Promise<KeyRecord[]> {
  const [column, id] = "teamId" in owner ? ["team_id", owner.teamId] : ["user_id", owner.userId];
  const { rows } = await sql.query<KeyRecord>(`${SELECT} WHERE ${column} = $1 ORDER BY created_at`, [id]);
  return rows;
}

/** The keys carrying these aliases (unknown aliases are simply absent). */
export async function keyHashesForAliases(
  sql: SqlExecutor,
  aliases: readonly string[],
): Promise<{ keyAlias: string; keyHash: string }[]> {
  const { rows } = await sql.query<{ keyAlias: string; keyHash: string }>(
    `SELECT key_alias AS "keyAlias", key_hash AS "keyHash" FROM ${TABLE} WHERE key_alias = ANY($1::text[])`,
    [aliases],
  );
  return rows;
}

export async function updateKey(
  sql: SqlExecutor,
  keyHash: string,
  patch: KeyPatch,
): Promise<KeyRecord | undefined> {
  const { text, params } = updateStatement(TABLE, COLUMNS, "key_hash", keyHash, patch);
  const { rows } = await sql.query<KeyRecord>(text, params);
  return rows[0];
}

/**
 * Gives a key a new secret: its hash and shown name change, everything else (limits, spend, budget
 * window, owner) stays, with `patch` applied on top. Undefined when there is no key `keyHash`.
 */
export async function rekey(
  sql: SqlExecutor,
  keyHash: string,
  secret: Pick<KeyRecord, "keyHash" | "keyName">,
  patch: KeyPatch,
): Promise<KeyRecord | undefined> {
  const { text, params } = updateStatement(TABLE, COLUMNS, "key_hash", keyHash, { ...patch, ...secret });
  const { rows } = await sql.query<KeyRecord>(text, params);
  return rows[0];
}

/** Every key, highest spend first (LiteLLM's `/spend/keys`). */
export async function keysBySpend(sql: SqlExecutor, limit: number | undefined): Promise<KeyRecord[]> {
  const { rows } = await sql.query<KeyRecord>(`${SELECT} ORDER BY spend DESC, key_hash LIMIT $1`, [
    limit ?? null,
  ]);
  return rows;
}

/** Deletes the keys that exist among `keyHashes`; returns the hashes actually deleted. */
export async function deleteKeys(sql: SqlExecutor, keyHashes: readonly string[]): Promise<string[]> {
  const { rows } = await sql.query<{ keyHash: string }>(
    `DELETE FROM ${TABLE} WHERE key_hash = ANY($1::text[]) RETURNING key_hash AS "keyHash"`,
    [keyHashes],
  );
  return rows.map((row) => row.keyHash);
}

/**
 * Adds spend to a key's current budget window (what the spend writer calls per batch); leaves
 * `updated_at` alone, which records management changes. False when the key no longer exists.
 */
export async function addKeySpend(sql: SqlExecutor, keyHash: string, amount: number): Promise<boolean> {
  const { rowCount } = await sql.query(`UPDATE ${TABLE} SET spend = spend + $2 WHERE key_hash = $1`, [
    keyHash,
    amount,
  ]);
  return rowCount > 0;
}
