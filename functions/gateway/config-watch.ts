import { readFileSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { ConfigHolder } from "../../shared/config/config-holder";
import { ConfigError, type Env, loadConfig } from "../../shared/config/load";
import type { Logger } from "../../shared/logging/logger";
import { warnIfEnvKeyOverridden } from "./master-key";

const SETTLE_MS = 150;

/**
 * Reloads a local config file when it changes, with the same validation as at start. An invalid
 * file (an empty one too, as a truncating editor leaves it for a moment) or one that would weaken
 * the running gateway (see ConfigHolder.reload) is refused and logged with every problem; the last
 * good config keeps serving. Watches the directory, not the file, so editors that replace the file
 * (write + rename) are seen too.
 */
export function watchConfigFile(path: string, env: Env, holder: ConfigHolder, logger: Logger): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastText = readFileSync(path, "utf8");
  const reload = () => {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      logger.error("config file unreadable; keeping the current config", { path, error: String(error) });
      return;
    }
    if (text === lastText) return;
    lastText = text;
    try {
      const config = holder.reload(path, () => loadConfig(text, env, path), { origin: "file" });
      warnIfEnvKeyOverridden(config, env, path, logger);
      logger.info("config reloaded", {
        path,
        revision: holder.origin.revision,
        models: [...config.groups.keys()],
      });
    } catch (error) {
      const problems = error instanceof ConfigError ? error.problems : [String(error)];
      logger.error("config change refused; keeping the last good config", { path, problems });
    }
  };
  const watcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== basename(path)) return;
    clearTimeout(timer);
    // Editors write in several steps; read once the file has settled.
    timer = setTimeout(reload, SETTLE_MS);
  });
  watcher.unref();
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
