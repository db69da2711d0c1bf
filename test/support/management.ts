import { Hono } from "hono";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { AppDeps } from "../../shared/deps";
import type { GatewayEnv } from "../../shared/http/env";
import { errorHandler } from "../../shared/http/error-handler";
import type { KeyEvents } from "../../shared/keys/key-events";
import { type Logger, silentLogger } from "../../shared/logging/logger";
import { managementRoutes } from "../../shared/routes/management";
import { migrate } from "../../shared/store/sql/migrate";
import { pgliteSql } from "../../shared/store/sql/pglite";
import type { Sql } from "../../shared/store/sql/port";

export interface Answer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  readonly body: any;
}

export interface ManagementHarness {
  readonly sql: Sql;
  /** Every `keyEvents.changed` call, in order. */
  readonly changed: string[][];
  /** Every subject whose live spend the routes reset (`limiter.resetSpend`), in order. */
  readonly spendResets: string[];
  /** Messages logged as warnings. */
  readonly warnings: string[];
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  post(path: string, body: unknown): Promise<Answer>;
  /** Empties every table and the recorded events: each test starts from nothing. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The management routes alone, on an in-memory PGlite, with a key-events fake that records calls
 * (or `failingKeyEvents`, to see a failed announcement not fail the request).
 */
export async function managementHarness(
  options: { failingKeyEvents?: boolean; config?: Partial<RuntimeConfig> } = {},
): Promise<ManagementHarness> {
  const sql = await pgliteSql();
  await migrate(sql);
  const changed: string[][] = [];
  const spendResets: string[] = [];
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (message) => warnings.push(message) };
  const keyEvents: KeyEvents = {
    async changed(keyHashes) {
      if (options.failingKeyEvents === true) throw new Error("redis unreachable");
      changed.push([...keyHashes]);
    },
  };
  // Only what the management routes read; the rest of AppDeps is the gateway's business.
  const limiter = {
    async resetSpend(subjects: ReadonlyArray<{ scope: string; id: string }>) {
      spendResets.push(...subjects.map((s) => `${s.scope}:${s.id}`));
    },
  };
  const config = { current: () => ({ proxyBudget: undefined, ...options.config }) };
  const deps = { sql, logger, keyEvents, limiter, config } as unknown as AppDeps;
  const app = new Hono<GatewayEnv>();
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.onError(errorHandler(logger));
  app.route("/", managementRoutes());

  const answer = async (response: Response): Promise<Answer> => ({
    status: response.status,
    body: await response.json(),
  });
  return {
    sql,
    changed,
    spendResets,
    warnings,
    get: async (path, headers) => answer(await app.request(path, { headers })),
    post: async (path, body) =>
      answer(
        await app.request(path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      ),
    async reset() {
      await sql.query("TRUNCATE routeiq_keys, routeiq_teams, routeiq_users, routeiq_spend_logs");
      await sql.query("UPDATE routeiq_proxy_budget SET spend = 0, budget_reset_at = NULL");
      changed.length = 0;
      spendResets.length = 0;
      warnings.length = 0;
    },
    close: () => sql.close(),
  };
}
