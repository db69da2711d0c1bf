/** The database a process uses and where that choice came from, as errors name it. */
export interface DatabaseOrigin {
  /** `DATABASE_URL`, `general_settings.database_url in config.yaml`, or the embedded store's directory. */
  readonly source: string;
  /** Absent for the embedded database. */
  readonly connectionString?: string;
}

/** What an operator can do about each failure, by Node error code or PostgreSQL SQLSTATE. */
const REASONS: Readonly<Record<string, string>> = Object.freeze({
  ECONNREFUSED: "connection refused; is PostgreSQL running there, and are the host and port right?",
  ENOTFOUND: "the host name does not resolve; check the host in the URL",
  EAI_AGAIN: "the host name could not be resolved (DNS); check the host and this machine's DNS",
  ETIMEDOUT: "no answer in time; a firewall or security group may be dropping the connection",
  EHOSTUNREACH: "the host is unreachable from here; check the network route to it",
  ENETUNREACH: "the network is unreachable from here; check the network route to it",
  "28P01": "password authentication failed; check the user and password in the URL",
  "28000": "the server refused this user or client address (pg_hba.conf, or the role cannot log in)",
  "3D000": "the database does not exist; create it, or fix the database name at the end of the URL",
  "53300": "the server has no connection to spare (max_connections)",
  "57P03": "the server is starting up; try again shortly",
});

/** The first Node code or SQLSTATE along an error's causes (a refused dual-stack connect is an AggregateError). */
function codeOf(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = codeOf(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return codeOf((error as { cause?: unknown }).cause, depth + 1);
}

/** `host:port/database` of a connection string: never the user or the password. */
function endpointOf(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    const host = url.hostname || url.searchParams.get("host") || "localhost";
    return `${host}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message || codeOf(error) || error.name : String(error);

/**
 * An error that says which setting chose the database, where it points, what went wrong and what
 * to do about it, instead of a bare `ECONNREFUSED 127.0.0.1:4799`. The original stays as `cause`.
 */
export function databaseError(error: unknown, origin: DatabaseOrigin): Error {
  const code = codeOf(error);
  const reason = code !== undefined && Object.hasOwn(REASONS, code) ? REASONS[code] : messageOf(error);
  const where = origin.connectionString === undefined ? "" : ` at ${endpointOf(origin.connectionString)}`;
  return new Error(`${origin.source}: cannot use the database${where}: ${reason}`, { cause: error });
}
