import { readFileSync } from "node:fs";
import type { Env } from "../../shared/config/load";
import { loadConfig } from "../../shared/config/load";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { Logger } from "../../shared/logging/logger";

/** Reads and validates the config file; throws ConfigError listing every problem. */
export function readConfigFile(path: string, env: Env, logger: Logger): RuntimeConfig {
  const { config, warnings } = loadConfig(readFileSync(path, "utf8"), env, path);
  for (const warning of warnings) logger.warn("config key ignored", { path, detail: warning });
  return config;
}
