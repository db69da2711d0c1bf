import type { Logger } from "../logging/logger";

/** Reports what a loaded config tolerates but does not use (see `LoadedConfig.warnings`). */
export type ConfigWarnings = (source: string, warnings: readonly string[]) => void;

/** Distinct warnings remembered; a config rewritten with ever new keys cannot grow the set past it. */
const MAX_REMEMBERED = 1_000;

/**
 * Logs each config warning once per process: the first config and every reload (file watch, S3
 * revisions) go through the same reporter, so an ignored key is said when it first appears, not
 * again on every reload that still has it.
 */
export function configWarningsOnce(logger: Logger): ConfigWarnings {
  const said = new Set<string>();
  let full = false;
  return function reportConfigWarnings(source, warnings) {
    for (const detail of warnings) {
      if (said.has(detail) || full) continue;
      if (said.size === MAX_REMEMBERED) {
        full = true;
        logger.warn("config warnings: too many distinct ones; no more are logged until restart", { source });
        continue;
      }
      said.add(detail);
      logger.warn("config key ignored", { path: source, detail });
    }
  };
}
