import type { Sql, SqlExecutor } from "../store/sql/port";

/** A row of `routeiq_models`: `litellm_params` stays sealed until the layer opens it. */
export interface ModelRow {
  readonly modelId: string;
  readonly modelName: string;
  readonly litellmParamsSealed: string;
  readonly modelInfo: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

export type ModelAction = "create" | "update" | "delete";

/** Who changed what: recorded in `routeiq_model_audit` with the change. */
export interface ModelChange {
  readonly action: ModelAction;
  readonly modelId: string;
  readonly actor: string;
  readonly requestId: string | undefined;
  /** The fields the change set (names only, never values: some are credentials). */
  readonly fields: readonly string[];
}

const SELECT = `SELECT model_id AS "modelId", model_name AS "modelName",
  litellm_params_sealed AS "litellmParamsSealed", model_info AS "modelInfo",
  created_at AS "createdAt", created_by AS "createdBy", updated_at AS "updatedAt", updated_by AS "updatedBy"
  FROM routeiq_models`;

/**
 * Writers take this lock for their whole transaction, so change ids commit in the order they are
 * drawn: a replica that has seen change n never misses an earlier one committed later.
 */
const WRITE_LOCK = 7_359_122_042_608_166n;

/** Every database model, oldest first (the order they are served in after the file's). */
export async function listModelRows(sql: SqlExecutor): Promise<ModelRow[]> {
  const { rows } = await sql.query<ModelRow>(`${SELECT} ORDER BY created_at, model_id`);
  return rows;
}

export async function getModelRow(sql: SqlExecutor, modelId: string): Promise<ModelRow | undefined> {
  const { rows } = await sql.query<ModelRow>(`${SELECT} WHERE model_id = $1`, [modelId]);
  return rows[0];
}

/** The newest change's id: the database models' revision (0 before any change). */
export async function modelsRevision(sql: SqlExecutor): Promise<number> {
  const { rows } = await sql.query<{ revision: string | number | null }>(
    "SELECT max(change_id) AS revision FROM routeiq_model_audit",
  );
  return Number(rows[0]?.revision ?? 0);
}

type Upsert = Pick<ModelRow, "modelId" | "modelName" | "litellmParamsSealed" | "modelInfo"> & {
  /**
   * For an update: the sealed params it was computed from. Every seal is unique (a fresh IV), so
   * the update applies only if no other change landed since that read.
   */
  readonly replaces?: string;
};

/**
 * Applies one change and its audit row in one transaction; resolves to the new revision, or
 * undefined when the model to update or delete is not there (nothing is written then).
 */
export async function writeModelChange(
  sql: Sql,
  change: ModelChange,
  row: Upsert | undefined,
): Promise<number | undefined> {
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
    const applied = await applyChange(tx, change, row);
    if (!applied) return undefined;
    const { rows } = await tx.query<{ change_id: string | number }>(
      `INSERT INTO routeiq_model_audit (model_id, action, actor, request_id, fields)
       VALUES ($1, $2, $3, $4, $5) RETURNING change_id`,
      [change.modelId, change.action, change.actor, change.requestId ?? null, [...change.fields]],
    );
    return Number(rows[0]?.change_id);
  });
}

async function applyChange(tx: SqlExecutor, change: ModelChange, row: Upsert | undefined): Promise<boolean> {
  if (change.action === "delete") {
    const { rowCount } = await tx.query("DELETE FROM routeiq_models WHERE model_id = $1", [change.modelId]);
    return rowCount > 0;
  }
  if (row === undefined) throw new Error(`a model ${change.action} needs the row to write`);
  const info = JSON.stringify(row.modelInfo);
  if (change.action === "create") {
    await tx.query(
      `INSERT INTO routeiq_models (model_id, model_name, litellm_params_sealed, model_info, created_by, updated_by)
       VALUES ($1, $2, $3, $4::jsonb, $5, $5)`,
      [row.modelId, row.modelName, row.litellmParamsSealed, info, change.actor],
    );
    return true;
  }
  const { rowCount } = await tx.query(
    `UPDATE routeiq_models SET model_name = $2, litellm_params_sealed = $3, model_info = $4::jsonb,
       updated_at = now(), updated_by = $5
     WHERE model_id = $1 AND ($6::text IS NULL OR litellm_params_sealed = $6)`,
    [row.modelId, row.modelName, row.litellmParamsSealed, info, change.actor, row.replaces ?? null],
  );
  return rowCount > 0;
}

/** The audit trail of one model, newest first. */
export async function modelAudit(
  sql: SqlExecutor,
  modelId: string,
): Promise<{ action: ModelAction; actor: string; fields: string[]; changedAt: Date }[]> {
  const { rows } = await sql.query<{ action: ModelAction; actor: string; fields: string[]; changedAt: Date }>(
    `SELECT action, actor, fields, changed_at AS "changedAt" FROM routeiq_model_audit
     WHERE model_id = $1 ORDER BY change_id DESC`,
    [modelId],
  );
  return rows;
}
