/**
 * Each table module maps its record's camelCase fields to snake_case columns once; these helpers
 * build the SQL from that map, so selects alias columns straight into records and inserts and
 * updates name only the fields a caller set (the table's defaults fill the rest).
 */
export type ColumnMap<T> = { readonly [K in keyof T]-?: string };

export interface Statement {
  readonly text: string;
  readonly params: unknown[];
}

/** `key_hash AS "keyHash", ...`: rows come back shaped like the record. */
export function selectList<T>(columns: ColumnMap<T>, qualifier?: string): string {
  const prefix = qualifier === undefined ? "" : `${qualifier}.`;
  return Object.entries<string>(columns)
    .map(([field, column]) => `${prefix}${column} AS "${field}"`)
    .join(", ");
}

// jsonb columns hold objects; drivers differ in how they encode a bare object, never in a string.
// Arrays stay arrays: they are text[] columns, which every driver encodes itself.
function toParam(value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date)) {
    return JSON.stringify(value);
  }
  return value;
}

function presentEntries<T>(columns: ColumnMap<T>, values: Partial<T>): [string, unknown][] {
  return (Object.keys(columns) as (keyof T)[])
    .filter((field) => values[field] !== undefined)
    .map((field) => [columns[field], toParam(values[field])]);
}

/** `INSERT` of the fields set in `values`, returning the whole new row as a record. */
export function insertStatement<T>(table: string, columns: ColumnMap<T>, values: Partial<T>): Statement {
  const entries = presentEntries(columns, values);
  const names = entries.map(([column]) => column).join(", ");
  const placeholders = entries.map((_, index) => `$${index + 1}`).join(", ");
  return {
    text: `INSERT INTO ${table} (${names}) VALUES (${placeholders}) RETURNING ${selectList(columns)}`,
    params: entries.map(([, value]) => value),
  };
}

/**
 * `UPDATE` of the fields set in `patch` (null clears a column) on the row whose `idColumn` is
 * `id`, stamping `updated_at`; returns the updated row, or no row when there is none.
 */
export function updateStatement<T>(
  table: string,
  columns: ColumnMap<T>,
  idColumn: string,
  id: string,
  patch: Partial<T>,
): Statement {
  const entries = presentEntries(columns, patch);
  const sets = entries.map(([column], index) => `${column} = $${index + 2}`);
  sets.push("updated_at = now()");
  return {
    text: `UPDATE ${table} SET ${sets.join(", ")} WHERE ${idColumn} = $1 RETURNING ${selectList(columns)}`,
    params: [id, ...entries.map(([, value]) => value)],
  };
}
