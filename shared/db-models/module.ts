import type { Env } from "../config/load";
import type { RuntimeConfig } from "../config/runtime-config";
import type { Logger } from "../logging/logger";
import type { GatewayModule } from "../module";
import type { SqlExecutor } from "../store/sql/port";
import { ModelFollower } from "./model-follower";
import { layeredConfig } from "./model-layer";
import { modelRoutes } from "./routes";
import { paramsBox } from "./sealed-params";

export interface DatabaseModelsOptions {
  readonly sql: SqlExecutor;
  readonly logger: Logger;
  /** The config file's (or synced revision's) config: what the database models are merged into. */
  readonly fileConfig: () => RuntimeConfig;
  /** Where `os.environ/` references and provider keys of database models are read. */
  readonly env: Env;
  /** LITELLM_SALT_KEY, when STORE_MODEL_IN_DB is on; undefined turns the database models off. */
  readonly saltKey: string | undefined;
}

/** Models in the database (LiteLLM's STORE_MODEL_IN_DB), mounted as a module. */
export interface DatabaseModels {
  readonly module: GatewayModule;
  /** The config in force: the file's with the database models merged in. */
  readonly config: () => RuntimeConfig;
  /** Follows the database models; undefined when STORE_MODEL_IN_DB is off. */
  readonly follower: ModelFollower | undefined;
}

export function databaseModels(options: DatabaseModelsOptions): DatabaseModels {
  const { fileConfig, saltKey, env } = options;
  if (saltKey === undefined) {
    return {
      module: { routes: modelRoutes({ store: undefined, fileConfig }), apiPaths: [] },
      config: fileConfig,
      follower: undefined,
    };
  }
  const box = paramsBox(saltKey);
  const follower = new ModelFollower({ sql: options.sql, box, env, logger: options.logger });
  return {
    module: { routes: modelRoutes({ store: { box, follower, env }, fileConfig }), apiPaths: [] },
    config: layeredConfig(
      fileConfig,
      () => follower.layer,
      (shadowed) =>
        options.logger.error("database models not served: the config file now has a model with the same id", {
          model_ids: shadowed.map((m) => m.id),
          model_names: shadowed.map((m) => m.entry.model_name),
          fix: "give the file's model another model_info.id, or delete the database model (POST /model/delete)",
        }),
    ),
    follower,
  };
}
