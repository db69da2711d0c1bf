import type { SqlExecutor } from "../sql/port";
import { type ColumnMap, insertStatement, selectList, updateStatement } from "./columns";
import { TIMESTAMP_COLUMNS, type Timestamps } from "./limits";

/** An upstream MCP server registered at runtime; `credentials` is a sealed box, never plain text. */
export interface McpServerRecord extends Timestamps {
  name: string;
  url: string;
  transport: "http" | "sse";
  description: string | null;
  authType: string;
  credentials: string | null;
  allowAllKeys: boolean;
  allowedTools: string[] | null;
  disallowedTools: string[];
}

type Owned = "name" | keyof Timestamps;
export type McpServerInsert = Pick<McpServerRecord, "name" | "url" | "transport"> &
  Partial<Omit<McpServerRecord, Owned>>;
export type McpServerPatch = Partial<Omit<McpServerRecord, Owned>>;

const TABLE = "routeiq_mcp_servers";
const COLUMNS: ColumnMap<McpServerRecord> = {
  name: "name",
  url: "url",
  transport: "transport",
  description: "description",
  authType: "auth_type",
  credentials: "credentials",
  allowAllKeys: "allow_all_keys",
  allowedTools: "allowed_tools",
  disallowedTools: "disallowed_tools",
  ...TIMESTAMP_COLUMNS,
};
const SELECT = `SELECT ${selectList(COLUMNS)} FROM ${TABLE}`;

/** The new server, or undefined when one of that name exists. */
export async function insertMcpServer(
  sql: SqlExecutor,
  server: McpServerInsert,
): Promise<McpServerRecord | undefined> {
  const { text, params } = insertStatement(TABLE, COLUMNS, server);
  const { rows } = await sql.query<McpServerRecord>(
    text.replace(" RETURNING ", " ON CONFLICT (name) DO NOTHING RETURNING "),
    params,
  );
  return rows[0];
}

export async function listMcpServers(sql: SqlExecutor): Promise<McpServerRecord[]> {
  const { rows } = await sql.query<McpServerRecord>(`${SELECT} ORDER BY name`);
  return rows;
}

export async function updateMcpServer(
  sql: SqlExecutor,
  name: string,
  patch: McpServerPatch,
): Promise<McpServerRecord | undefined> {
  const { text, params } = updateStatement(TABLE, COLUMNS, "name", name, patch);
  const { rows } = await sql.query<McpServerRecord>(text, params);
  return rows[0];
}

/** Whether a server of that name was there to delete. */
export async function deleteMcpServer(sql: SqlExecutor, name: string): Promise<boolean> {
  const { rows } = await sql.query(`DELETE FROM ${TABLE} WHERE name = $1 RETURNING name`, [name]);
  return rows.length > 0;
}
