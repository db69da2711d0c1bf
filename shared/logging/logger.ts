export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** One JSON object per line, the shape log shippers (CloudWatch, Loki, Datadog) parse without help. */
export function jsonLogger(write: (line: string) => void = (line) => console.log(line)): Logger {
  const log =
    (level: string) =>
    (message: string, fields: LogFields = {}) =>
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  return { info: log("info"), warn: log("warn"), error: log("error") };
}

export const silentLogger: Logger = Object.freeze({ info() {}, warn() {}, error() {} });
