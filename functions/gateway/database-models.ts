import type { Env } from "../../shared/config/load";
import { MODELS_CHANNEL, type ModelFollower } from "../../shared/db-models/model-follower";
import type { Logger } from "../../shared/logging/logger";
import type { Kv } from "../../shared/store/kv/port";
import { seconds } from "./config-sync";
import type { NodeEnv } from "./env";

/**
 * LITELLM_SALT_KEY when models in the database are on (undefined when off): STORE_MODEL_IN_DB when
 * it is set, else the config's general_settings.store_model_in_db, as LiteLLM reads either. Required
 * then: it seals the models' credentials, and a key that changed at a restart would leave every
 * stored model unreadable.
 */
export function modelSaltKey(env: NodeEnv, fromConfig: boolean | undefined): string | undefined {
  if ((env.STORE_MODEL_IN_DB ?? fromConfig) !== true) return undefined;
  if (env.LITELLM_SALT_KEY === undefined)
    throw new Error(
      `LITELLM_SALT_KEY: required when ${env.STORE_MODEL_IN_DB === undefined ? "general_settings.store_model_in_db is true" : "STORE_MODEL_IN_DB=true"} (it encrypts the models' credentials at rest); set it to a long random secret and keep it`,
    );
  return env.LITELLM_SALT_KEY;
}

/**
 * Keeps this replica on the newest database models the way it follows config revisions: loaded at
 * start, announcements on pub/sub applied at once, and a poll every ROUTEIQ_CONFIG_REVISION_POLL_SECONDS
 * (default 5) as the fallback. Resolves to a function that stops following.
 */
export async function followDatabaseModels(options: {
  readonly follower: ModelFollower;
  readonly kv: Kv;
  readonly env: Env;
  readonly logger: Logger;
}): Promise<() => Promise<void>> {
  const { follower, kv, logger } = options;
  const check = () =>
    follower
      .check()
      .catch((error: unknown) => logger.warn("database models check failed", { error: String(error) }));
  await check();
  const unsubscribe = await kv.subscribe(MODELS_CHANNEL, () => void check()).catch(() => async () => {});
  const timer = setInterval(
    check,
    seconds(options.env, "ROUTEIQ_CONFIG_REVISION_POLL_SECONDS", 5) * 1000,
  ).unref();
  return async () => {
    clearInterval(timer);
    await unsubscribe().catch(() => {});
  };
}
