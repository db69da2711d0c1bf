import { Client, type NeonConfig } from "@neondatabase/serverless";
import { abortable } from "../abortable";
import type { QueryResult, Sql, SqlExecutor } from "./port";

export interface NeonSqlOptions {
  /** `postgres://user:password@host/db`, as Neon's console gives it. */
  readonly connectionString: string;
  /** A WebSocket class where the runtime has none (Node 20); Workers have their own. */
  readonly webSocket?: NeonConfig["webSocketConstructor"];
  /**
   * `ws://` or `wss://` URL of a self-hosted WebSocket-to-TCP proxy in front of any PostgreSQL
   * (local development, tests: infra/local/pg-ws-relay.ts). Unset: Neon's own proxy at the host.
   */
  readonly wsProxy?: string;
  /** Connecting (WebSocket, startup, authentication) must not take longer. */
  readonly connectTimeoutMs?: number;
}

interface Queryable {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

interface DriverResult {
  readonly rows: unknown[];
  readonly rowCount: number | null;
}

/** As the `pg` adapter: without parameters several statements may run, the last one's result counts. */
function executor(target: Queryable): SqlExecutor {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const raw = (await target.query(text, params as unknown[])) as DriverResult | DriverResult[];
      const result = Array.isArray(raw) ? raw[raw.length - 1] : raw;
      if (result === undefined) return { rows: [], rowCount: 0 };
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
  };
}

/**
 * PostgreSQL through Neon's serverless driver: the PostgreSQL protocol over a WebSocket, which
 * Workers can open where they cannot open TCP. A Worker's socket cannot outlive the request that
 * opened it, so there is no pool: every query, and every transaction, opens its own connection and
 * ends it. That costs a connection setup per call, which the edge pays rarely: keys are cached, spend
 * rows are written in one batch after the answer, config revisions are checked every few seconds.
 */
export function neonSql(options: NeonSqlOptions): Sql {
  const proxy = options.wsProxy === undefined ? undefined : new URL(options.wsProxy);

  const connect = async (): Promise<Client> => {
    const client = new Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    });
    if (options.webSocket !== undefined) client.neonConfig.webSocketConstructor = options.webSocket;
    if (proxy !== undefined) {
      client.neonConfig.wsProxy = `${proxy.host}${proxy.pathname}`;
      client.neonConfig.useSecureWebSocket = proxy.protocol === "wss:";
      // Pipelining the password before the server asks for it suits Neon's proxy only; a plain
      // PostgreSQL may not ask (trust) or ask for SCRAM.
      client.neonConfig.pipelineConnect = false;
    }
    // A connection lost mid-query rejects that query; unhandled, the event would end a Node process.
    client.on("error", () => {});
    await client.connect();
    return client;
  };

  const end = (client: Client) => {
    // Not awaited: the answer is in hand, and the goodbye costs a round trip.
    client.end().catch(() => {});
  };

  const query = async <Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> => {
    const client = await connect();
    try {
      return await executor(client).query<Row>(text, params);
    } finally {
      end(client);
    }
  };

  return {
    query,

    async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await connect();
      try {
        await client.query("BEGIN");
        const result = await work(executor(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // The connection ends either way; ending it mid-transaction rolls the transaction back.
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        end(client);
      }
    },

    async ping(signal?: AbortSignal): Promise<void> {
      await abortable(query("SELECT 1"), signal);
    },

    async close(): Promise<void> {},
  };
}
