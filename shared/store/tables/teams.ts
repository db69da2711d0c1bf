import type { SqlExecutor } from "../sql/port";
import { type ColumnMap, insertStatement, selectList, updateStatement } from "./columns";
import { LIMIT_COLUMNS, type LimitFields, TIMESTAMP_COLUMNS, type Timestamps } from "./limits";

export interface TeamRecord extends LimitFields, Timestamps {
  teamId: string;
  teamAlias: string | null;
  blocked: boolean;
}

type Owned = "teamId" | keyof Timestamps;
export type TeamInsert = Pick<TeamRecord, "teamId"> & Partial<Omit<TeamRecord, Owned>>;
export type TeamPatch = Partial<Omit<TeamRecord, Owned>>;

/** What a team deletion removed: the teams, and the keys that went with them. */
export interface DeletedTeams {
  teamIds: string[];
  keyHashes: string[];
}

const TABLE = "routeiq_teams";
const COLUMNS: ColumnMap<TeamRecord> = {
  teamId: "team_id",
  teamAlias: "team_alias",
  blocked: "blocked",
  ...LIMIT_COLUMNS,
  ...TIMESTAMP_COLUMNS,
};
const SELECT = `SELECT ${selectList(COLUMNS)} FROM ${TABLE}`;

export async function insertTeam(sql: SqlExecutor, team: TeamInsert): Promise<TeamRecord> {
  const { text, params } = insertStatement(TABLE, COLUMNS, team);
  const { rows } = await sql.query<TeamRecord>(text, params);
  return rows[0] as TeamRecord;
}

export async function getTeam(sql: SqlExecutor, teamId: string): Promise<TeamRecord | undefined> {
  const { rows } = await sql.query<TeamRecord>(`${SELECT} WHERE team_id = $1`, [teamId]);
  return rows[0];
}

/**
 * The team, its row share-locked until the transaction ends: run it in one, so the team cannot be
 * deleted (and its id left in users' team lists) while members are being added.
 */
export async function getTeamForShare(sql: SqlExecutor, teamId: string): Promise<TeamRecord | undefined> {
  const { rows } = await sql.query<TeamRecord>(`${SELECT} WHERE team_id = $1 FOR SHARE`, [teamId]);
  return rows[0];
}

/** The teams that exist among `teamIds`, in no particular order. */
export async function getTeams(sql: SqlExecutor, teamIds: readonly string[]): Promise<TeamRecord[]> {
  const { rows } = await sql.query<TeamRecord>(`${SELECT} WHERE team_id = ANY($1::text[])`, [teamIds]);
  return rows;
}

export async function listTeams(sql: SqlExecutor): Promise<TeamRecord[]> {
  const { rows } = await sql.query<TeamRecord>(`${SELECT} ORDER BY created_at, team_id`);
  return rows;
}

export async function updateTeam(
  sql: SqlExecutor,
  teamId: string,
  patch: TeamPatch,
): Promise<TeamRecord | undefined> {
  const { text, params } = updateStatement(TABLE, COLUMNS, "team_id", teamId, patch);
  const { rows } = await sql.query<TeamRecord>(text, params);
  return rows[0];
}

/**
 * Deletes the teams that exist among `teamIds` with their keys, and drops them from users'
 * team lists. Run it in a transaction: the team rows are locked first, so no key can join a
 * team between listing its keys and deleting it, and the keys reported are exactly those removed.
 */
export async function deleteTeams(sql: SqlExecutor, teamIds: readonly string[]): Promise<DeletedTeams> {
  const locked = await sql.query<{ teamId: string }>(
    `SELECT team_id AS "teamId" FROM ${TABLE} WHERE team_id = ANY($1::text[]) ORDER BY team_id FOR UPDATE`,
    [teamIds],
  );
  const ids = locked.rows.map((row) => row.teamId);
  if (ids.length === 0) return { teamIds: [], keyHashes: [] };
  const keys = await sql.query<{ keyHash: string }>(
    `DELETE FROM routeiq_keys WHERE team_id = ANY($1::text[]) RETURNING key_hash AS "keyHash"`,
    [ids],
  );
  await sql.query(`DELETE FROM ${TABLE} WHERE team_id = ANY($1::text[])`, [ids]);
  await sql.query(
    `UPDATE routeiq_users SET teams = ARRAY(SELECT t FROM unnest(teams) AS t WHERE t <> ALL($1::text[])),
       updated_at = now()
     WHERE teams && $1::text[]`,
    [ids],
  );
  return { teamIds: ids, keyHashes: keys.rows.map((row) => row.keyHash) };
}
