import { ConfigError, type Env } from "../../shared/config/load";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { Logger } from "../../shared/logging/logger";

/**
 * A gateway starts with a master key, or with none only when the operator says so
 * (`ROUTEIQ_ALLOW_NO_MASTER_KEY=true`), and then says loudly that it is open. Throws a ConfigError
 * naming both ways out otherwise.
 */
export function requireMasterKey(
  config: RuntimeConfig,
  options: {
    readonly env: Env;
    readonly allowNoMasterKey: boolean;
    readonly source: string;
    readonly logger: Logger;
  },
): void {
  const { env, source, logger } = options;
  if (config.masterKey !== undefined) {
    warnIfEnvKeyOverridden(config, env, source, logger);
    return;
  }
  if (!options.allowNoMasterKey) {
    throw new ConfigError(source, [
      "general_settings.master_key: not set, and neither is LITELLM_MASTER_KEY: anyone who can reach the gateway could use it. Set one of them, or set ROUTEIQ_ALLOW_NO_MASTER_KEY=true to run it open on purpose",
    ]);
  }
  logger.warn(
    "NO MASTER KEY CONFIGURED: the gateway is open to anyone who can reach it (ROUTEIQ_ALLOW_NO_MASTER_KEY=true). Set general_settings.master_key or LITELLM_MASTER_KEY to close it.",
    { config: source },
  );
}

/**
 * A key in the file wins over LITELLM_MASTER_KEY, as in LiteLLM; someone who set the variable
 * expects it to be the key, so the override is said out loud (naming the sources, never the keys).
 */
export function warnIfEnvKeyOverridden(
  config: RuntimeConfig,
  env: Env,
  source: string,
  logger: Logger,
): void {
  const fromEnv = env.LITELLM_MASTER_KEY;
  if (fromEnv === undefined || fromEnv === "" || config.masterKey === fromEnv) return;
  logger.warn(
    "the config file's general_settings.master_key is in force, not LITELLM_MASTER_KEY (or its secret): a key in the file wins. Remove it from the file, or write master_key: os.environ/LITELLM_MASTER_KEY",
    { config: source },
  );
}
