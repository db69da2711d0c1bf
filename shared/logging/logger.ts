export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];

/**
 * One JSON object per line, the shape log shippers (CloudWatch, Loki, Datadog) parse without help.
 * Lines below `level` are not written.
 */
export function jsonLogger(
  write: (line: string) => void = (line) => console.log(line),
  level: LogLevel = "info",
): Logger {
  const min = logLevels.indexOf(level);
  const log = (name: LogLevel) =>
    logLevels.indexOf(name) < min
      ? () => {}
      : (message: string, fields: LogFields = {}) =>
          write(JSON.stringify({ time: new Date().toISOString(), level: name, message, ...fields }));
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

export const silentLogger: Logger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

/** LiteLLM's names for its levels, as `LITELLM_LOG` takes them. */
const LITELLM_LEVELS: Readonly<Record<string, LogLevel>> = Object.freeze({
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  WARN: "warn",
  ERROR: "error",
  CRITICAL: "error",
});

/**
 * The log level from `LOG_LEVEL` (debug, info, warn, error), else LiteLLM's `LITELLM_LOG` (DEBUG,
 * INFO, WARNING, ERROR), else info. A value that is neither is an error naming the variable.
 */
export function logLevelFrom(env: Readonly<Record<string, string | undefined>>): LogLevel {
  for (const name of ["LOG_LEVEL", "LITELLM_LOG"] as const) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") continue;
    const level = LITELLM_LEVELS[raw.toUpperCase()];
    if (level !== undefined) return level;
    throw new Error(
      `${name}: expected one of debug, info, warn, error (LiteLLM's DEBUG, INFO, WARNING, ERROR too), got "${raw}"`,
    );
  }
  return "info";
}

/**
 * A process's logger at the level its environment asks for. A level it cannot read is said in the
 * first line, naming the variable, and the process logs at info: a typo in a log setting must not
 * keep a gateway from starting.
 */
export function processLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  try {
    return jsonLogger(undefined, logLevelFrom(env));
  } catch (error) {
    const logger = jsonLogger();
    logger.warn("log level not understood; logging at info", { error: (error as Error).message });
    return logger;
  }
}
