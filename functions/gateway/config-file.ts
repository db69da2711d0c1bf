import { readFileSync } from "node:fs";
import type { ConfigWarnings } from "../../shared/config/config-warnings";
import type { Env } from "../../shared/config/load";
import { loadConfig } from "../../shared/config/load";
import type { RuntimeConfig } from "../../shared/config/runtime-config";

/**
 * Reads and validates the config file; throws ConfigError listing every problem, or an error
 * naming the path and how to choose another when the file cannot be read.
 */
export function readConfigFile(path: string, env: Env, warnings: ConfigWarnings): RuntimeConfig {
  const loaded = loadConfig(readText(path), env, path);
  warnings(path, loaded.warnings);
  return loaded.config;
}

const HOW_TO_CHOOSE =
  "choose the config file with --config <path> or LITELLM_CONFIG_PATH (default: config/config.yaml)";

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`config file ${path} does not exist: ${HOW_TO_CHOOSE}`);
    if (code === "EISDIR") throw new Error(`config file ${path} is a directory: ${HOW_TO_CHOOSE}`);
    if (code === "EACCES")
      throw new Error(`config file ${path} cannot be read by this process (permission denied)`);
    throw error;
  }
}
