import type { SqlExecutor } from "../sql/port";
import { type ColumnMap, insertStatement, selectList, updateStatement } from "./columns";
import { LIMIT_COLUMNS, type LimitFields, TIMESTAMP_COLUMNS, type Timestamps } from "./limits";

export interface UserRecord extends LimitFields, Timestamps {
  userId: string;
  userEmail: string | null;
  userRole: string;
  teams: string[];
}

type Owned = "userId" | keyof Timestamps;
export type UserInsert = Pick<UserRecord, "userId"> & Partial<Omit<UserRecord, Owned>>;
export type UserPatch = Partial<Omit<UserRecord, Owned>>;

/** What a user deletion removed: the users, and the keys that went with them. */
export interface DeletedUsers {
  userIds: string[];
  keyHashes: string[];
}

const TABLE = "routeiq_users";
const COLUMNS: ColumnMap<UserRecord> = {
  userId: "user_id",
  userEmail: "user_email",
  userRole: "user_role",
  teams: "teams",
  ...LIMIT_COLUMNS,
  ...TIMESTAMP_COLUMNS,
};
const SELECT = `SELECT ${selectList(COLUMNS)} FROM ${TABLE}`;

export async function insertUser(sql: SqlExecutor, user: UserInsert): Promise<UserRecord> {
  const { text, params } = insertStatement(TABLE, COLUMNS, user);
  const { rows } = await sql.query<UserRecord>(text, params);
  return rows[0] as UserRecord;
}

export async function getUser(sql: SqlExecutor, userId: string): Promise<UserRecord | undefined> {
  const { rows } = await sql.query<UserRecord>(`${SELECT} WHERE user_id = $1`, [userId]);
  return rows[0];
}

export async function updateUser(
  sql: SqlExecutor,
  userId: string,
  patch: UserPatch,
): Promise<UserRecord | undefined> {
  const { text, params } = updateStatement(TABLE, COLUMNS, "user_id", userId, patch);
  const { rows } = await sql.query<UserRecord>(text, params);
  return rows[0];
}

/**
 * Deletes the users that exist among `userIds` with their keys. Run it in a transaction, for
 * the reason `deleteTeams` gives: the keys reported are exactly those removed.
 */
export async function deleteUsers(sql: SqlExecutor, userIds: readonly string[]): Promise<DeletedUsers> {
  const locked = await sql.query<{ userId: string }>(
    `SELECT user_id AS "userId" FROM ${TABLE} WHERE user_id = ANY($1::text[]) ORDER BY user_id FOR UPDATE`,
    [userIds],
  );
  const ids = locked.rows.map((row) => row.userId);
  if (ids.length === 0) return { userIds: [], keyHashes: [] };
  const keys = await sql.query<{ keyHash: string }>(
    `DELETE FROM routeiq_keys WHERE user_id = ANY($1::text[]) RETURNING key_hash AS "keyHash"`,
    [ids],
  );
  await sql.query(`DELETE FROM ${TABLE} WHERE user_id = ANY($1::text[])`, [ids]);
  return { userIds: ids, keyHashes: keys.rows.map((row) => row.keyHash) };
}
