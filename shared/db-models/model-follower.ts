import type { Env } from "../config/load";
import type { Logger } from "../logging/logger";
import type { SqlExecutor } from "../store/sql/port";
import { toDeployment } from "./model-entry";
import type { DatabaseModel, ModelLayer } from "./model-layer";
import { EMPTY_LAYER } from "./model-layer";
import { listModelRows, type ModelRow, modelsRevision } from "./models-table";
import type { ParamsBox } from "./sealed-params";

/** Where a replica that changed a model tells the others to look (under the deployment's prefix). */
export const MODELS_CHANNEL = "models:revision";

/**
 * Keeps a replica on the newest database models: one indexed read of the revision, and a newer
 * revision's rows opened, validated and swapped in whole. Pub/sub announcements call `check` at
 * once; polling is the fallback when Redis is absent or a message was missed.
 */
export class ModelFollower {
  readonly #sql: SqlExecutor;
  readonly #box: ParamsBox;
  readonly #env: Env;
  readonly #logger: Logger;
  #layer: ModelLayer = EMPTY_LAYER;
  #checking: Promise<void> | undefined;

  constructor(options: { sql: SqlExecutor; box: ParamsBox; env: Env; logger: Logger }) {
    this.#sql = options.sql;
    this.#box = options.box;
    this.#env = options.env;
    this.#logger = options.logger;
  }

  get layer(): ModelLayer {
    return this.#layer;
  }

  /** Loads the newest models if they changed; concurrent calls share one read. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  /**
   * Until this replica serves `revision` or newer: a check already under way may have read before
   * that change committed, so one more is started after it (two suffice; a third bounds a failure).
   */
  async checkAtLeast(revision: number): Promise<void> {
    for (let attempt = 0; attempt < 3 && this.#layer.revision < revision; attempt++) await this.check();
  }

  async #check(): Promise<void> {
    // The revision first: rows read after it are at least as new, so no change is ever skipped.
    const revision = await modelsRevision(this.#sql);
    if (revision <= this.#layer.revision) return;
    const rows = await listModelRows(this.#sql);
    const models = (await Promise.all(rows.map((row) => this.#open(row)))).filter(
      (m): m is DatabaseModel => m !== undefined,
    );
    this.#layer = Object.freeze({ revision, models: Object.freeze(models) });
    this.#logger.info("database models applied", { revision, models: models.length });
  }

  /** A row this replica cannot serve is logged and left out; the others keep serving. */
  async #open(row: ModelRow): Promise<DatabaseModel | undefined> {
    const params = await this.#box.open(row.modelId, row.litellmParamsSealed);
    if (params === undefined) {
      this.#logger.error("database model cannot be opened with LITELLM_SALT_KEY (rotated?); not served", {
        model_id: row.modelId,
      });
      return undefined;
    }
    try {
      const raw = { model_name: row.modelName, litellm_params: params, model_info: row.modelInfo };
      const { entry, deployment } = toDeployment(raw, row.modelId, this.#env);
      return {
        id: row.modelId,
        entry,
        deployment,
        createdAt: new Date(row.createdAt),
        createdBy: row.createdBy,
        updatedAt: new Date(row.updatedAt),
        updatedBy: row.updatedBy,
      };
    } catch (error) {
      this.#logger.error("database model refused on this replica; not served", {
        model_id: row.modelId,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }
}
