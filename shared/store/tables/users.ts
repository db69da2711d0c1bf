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

export interface UserListQuery {
  role?: string;
  userIds?: readonly string[];
  /** Part of the email, any case. */
  emailContains?: string;
  teamId?: string;
  sortBy?: keyof typeof SORTABLE;
  descending: boolean;
  /** 1-based. */
  page: number;
  size: number;
}

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

/** The columns `/user/list` may sort by, as LiteLLM names them. */
export const SORTABLE = Object.freeze({
  user_id: "user_id",
  user_email: "user_email",
  user_role: "user_role",
  spend: "spend",
  created_at: "created_at",
});

/** `%`, `_` and `\` match themselves in a LIKE pattern built from user input. */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

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
 * One page of users (newest first unless sorted), each with how many keys it holds, and the count
 * of all that match.
 */
export async function listUsers(
  sql: SqlExecutor,
  query: UserListQuery,
): Promise<{ users: (UserRecord & { keyCount: number })[]; total: number }> {
  const filters: string[] = [];
  const params: unknown[] = [];
  const filter = (condition: string, value: unknown) => {
    if (value === undefined) return;
    params.push(value);
    filters.push(condition.replace("?", `$${params.length}`));
  };
  filter("user_role = ?", query.role);
  filter("user_id = ANY(?::text[])", query.userIds);
  filter(
    "user_email ILIKE ?",
    query.emailContains === undefined ? undefined : `%${likeLiteral(query.emailContains)}%`,
  );
  filter("? = ANY(teams)", query.teamId);
  const where = filters.length === 0 ? "" : ` WHERE ${filters.join(" AND ")}`;
  const order =
    query.sortBy === undefined
      ? "created_at DESC"
      : `${SORTABLE[query.sortBy]} ${query.descending ? "DESC" : "ASC"} NULLS LAST`;
  const count = await sql.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM ${TABLE}${where}`,
    params,
  );
  const page = await sql.query<UserRecord & { keyCount: number }>(
    `SELECT ${selectList(COLUMNS, "u")},
       (SELECT count(*)::int FROM routeiq_keys k WHERE k.user_id = u.user_id) AS "keyCount"
     FROM ${TABLE} u${where} ORDER BY ${order}, user_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, query.size, (query.page - 1) * query.size],
  );
  return { users: page.rows, total: count.rows[0]?.total ?? 0 };
}

/** The users with this email, oldest first. */
export async function usersByEmail(sql: SqlExecutor, email: string): Promise<UserRecord[]> {
  const { rows } = await sql.query<UserRecord>(`${SELECT} WHERE user_email = $1 ORDER BY created_at`, [
    email,
  ]);
  return rows;
}

/** The members of a team, oldest first. */
export async function teamMembers(sql: SqlExecutor, teamId: string): Promise<UserRecord[]> {
  const { rows } = await sql.query<UserRecord>(
    `${SELECT} WHERE $1 = ANY(teams) ORDER BY created_at, user_id`,
    [teamId],
  );
  return rows;
}

/** Adds a team to a user's teams; undefined when there is no such user or it is in the team already. */
export async function joinTeam(
  sql: SqlExecutor,
  userId: string,
  teamId: string,
): Promise<UserRecord | undefined> {
  const { rows } = await sql.query<UserRecord>(
    `UPDATE ${TABLE} SET teams = array_append(teams, $2), updated_at = now()
     WHERE user_id = $1 AND NOT ($2 = ANY(teams)) RETURNING ${selectList(COLUMNS)}`,
    [userId, teamId],
  );
  return rows[0];
}

/** Takes a team off the users named; returns the ids of those that were in it. */
export async function leaveTeam(
  sql: SqlExecutor,
  teamId: string,
  who: { userId: string } | { userEmail: string },
): Promise<string[]> {
  const [column, value] = "userId" in who ? ["user_id", who.userId] : ["user_email", who.userEmail];
  const { rows } = await sql.query<{ userId: string }>(
    `UPDATE ${TABLE} SET teams = array_remove(teams, $2), updated_at = now()
     WHERE ${column} = $1 AND $2 = ANY(teams) RETURNING user_id AS "userId"`,
    [value, teamId],
  );
  return rows.map((row) => row.userId);
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
