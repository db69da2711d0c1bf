/**
 * The database could not be reached or cannot take the statement now (down, failing over,
 * refusing connections, read-only after a failover): worth retrying later, never the caller's
 * fault. The message names the cause and never the connection string.
 */
export class DatabaseUnavailableError extends Error {
  constructor(detail: string, options?: ErrorOptions) {
    super(`database unavailable: ${detail}`, options);
    this.name = "DatabaseUnavailableError";
  }
}

// Node's socket errors on connect, write or read.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

// SQLSTATE: class 08 connection exceptions; 57P01-57P03 the server shutting down or starting up;
// 53300 too many connections; 25006 a read-only server (a former primary after a failover).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|25006)$/;

// What `pg` itself throws when a connection ends, times out or was already broken.
const DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

const codeOf = (error: unknown): string | undefined => {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
};

function isUnavailable(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  const code = codeOf(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  return error instanceof Error && DRIVER_MESSAGES.test(error.message);
}

/** `error` as a DatabaseUnavailableError when it is one of unavailability; otherwise unchanged. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseUnavailableError || !isUnavailable(error)) return error;
  // A refused dual-stack connect is an AggregateError without a message, but with a code.
  const detail = (error instanceof Error && error.message) || codeOf(error) || "connection failed";
  return new DatabaseUnavailableError(detail, { cause: error });
}
