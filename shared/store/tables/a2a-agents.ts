import type { SqlExecutor } from "../sql/port";
import { type ColumnMap, insertStatement, selectList, updateStatement } from "./columns";
import { TIMESTAMP_COLUMNS, type Timestamps } from "./limits";

/** An upstream A2A agent registered at runtime; `credentials` is a sealed box, never plain text. */
export interface A2aAgentRecord extends Timestamps {
  name: string;
  url: string;
  description: string | null;
  authType: string;
  credentials: string | null;
  allowAllKeys: boolean;
}

type Owned = "name" | keyof Timestamps;
export type A2aAgentInsert = Pick<A2aAgentRecord, "name" | "url"> & Partial<Omit<A2aAgentRecord, Owned>>;
export type A2aAgentPatch = Partial<Omit<A2aAgentRecord, Owned>>;

const TABLE = "routeiq_a2a_agents";
const COLUMNS: ColumnMap<A2aAgentRecord> = {
  name: "name",
  url: "url",
  description: "description",
  authType: "auth_type",
  credentials: "credentials",
  allowAllKeys: "allow_all_keys",
  ...TIMESTAMP_COLUMNS,
};
const SELECT = `SELECT ${selectList(COLUMNS)} FROM ${TABLE}`;

/** The new agent, or undefined when one of that name exists. */
export async function insertA2aAgent(
  sql: SqlExecutor,
  agent: A2aAgentInsert,
): Promise<A2aAgentRecord | undefined> {
  const { text, params } = insertStatement(TABLE, COLUMNS, agent);
  const { rows } = await sql.query<A2aAgentRecord>(
    text.replace(" RETURNING ", " ON CONFLICT (name) DO NOTHING RETURNING "),
    params,
  );
  return rows[0];
}

export async function listA2aAgents(sql: SqlExecutor): Promise<A2aAgentRecord[]> {
  const { rows } = await sql.query<A2aAgentRecord>(`${SELECT} ORDER BY name`);
  return rows;
}

export async function updateA2aAgent(
  sql: SqlExecutor,
  name: string,
  patch: A2aAgentPatch,
): Promise<A2aAgentRecord | undefined> {
  const { text, params } = updateStatement(TABLE, COLUMNS, "name", name, patch);
  const { rows } = await sql.query<A2aAgentRecord>(text, params);
  return rows[0];
}

/** Whether an agent of that name was there to delete. */
export async function deleteA2aAgent(sql: SqlExecutor, name: string): Promise<boolean> {
  const { rows } = await sql.query(`DELETE FROM ${TABLE} WHERE name = $1 RETURNING name`, [name]);
  return rows.length > 0;
}
