import { Hono } from "hono";
import { z } from "zod";
import { badRequest } from "../../errors";
import type { GatewayEnv } from "../../http/env";
import { globalSpend } from "../../spend/global-spend";
import { keysBySpend } from "../../store/tables/keys";
import { querySpendLogs, spendReport } from "../../store/tables/spend-logs";
import { idSchema, queryInt } from "./fields";
import { readQuery } from "./input";
import { keyFromHeaderOrQuery, keyRefSchema, resolveKeyHash } from "./key-input";
import { keyView, spendLogView } from "./present";

const DAY_MS = 86_400_000;
const DATE_ONLY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * `2024-06-01` or an ISO 8601 date-time. A bare date as the end of a range includes that whole
 * day (UTC), which is what someone asking for June 1 to June 30 means.
 */
function parseDate(text: string, endOfRange: boolean): Date | undefined {
  if (DATE_ONLY.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    // Date rolls 2024-02-30 over into March; a date that does not round-trip does not exist.
    if (Number.isNaN(day.getTime()) || !day.toISOString().startsWith(text)) return undefined;
    return endOfRange ? new Date(day.getTime() + DAY_MS) : day;
  }
  return isoDateTime.safeParse(text).success ? new Date(text) : undefined;
}

const dateSchema = z.string().refine((text) => parseDate(text, false) !== undefined, {
  message: "expected a date (2024-06-01) or an ISO 8601 date-time (2024-06-01T12:00:00Z)",
});

const rangeFields = { start_date: dateSchema.optional(), end_date: dateSchema.optional() };

function dateRange(query: { start_date?: string | undefined; end_date?: string | undefined }) {
  const startDate = query.start_date === undefined ? undefined : parseDate(query.start_date, false);
  const endDate = query.end_date === undefined ? undefined : parseDate(query.end_date, true);
  if (startDate !== undefined && endDate !== undefined && endDate <= startDate) {
    throw badRequest("end_date: must not be before start_date", "end_date");
  }
  return { startDate, endDate };
}

export const spendLogsQuerySchema = z.strictObject({
  api_key: keyRefSchema.optional(),
  team_id: idSchema.optional(),
  user_id: idSchema.optional(),
  request_id: idSchema.optional(),
  model: idSchema.optional(),
  status: z.enum(["success", "failure"]).optional(),
  ...rangeFields,
  limit: queryInt(10_000).optional(),
});
export const spendReportQuerySchema = z.strictObject({
  group_by: z.enum(["key", "team", "user", "model"]).default("model"),
  period: z.enum(["day", "week", "month"]).default("day"),
  ...rangeFields,
});
export const globalSpendQuerySchema = z.strictObject(rangeFields);
export const spendKeysQuerySchema = z.strictObject({ limit: queryInt(1_000_000).optional() });
export const spendByModelQuerySchema = z.strictObject({ ...rangeFields, limit: queryInt(1000).optional() });

/** LiteLLM's spend reporting: `/spend/logs`, `/spend/keys`, `/global/spend`, `/global/spend/models`. */
export function spendRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.get("/spend/logs", async (c) => {
    const query = readQuery(c, spendLogsQuerySchema);
    const apiKey = keyFromHeaderOrQuery(c, query.api_key, "api_key");
    const logs = await querySpendLogs(c.get("deps").sql, {
      keyHash: apiKey === undefined ? undefined : await resolveKeyHash(apiKey),
      teamId: query.team_id,
      userId: query.user_id,
      requestId: query.request_id,
      model: query.model,
      outcome: query.status,
      ...dateRange(query),
      limit: query.limit ?? 100,
    });
    return c.json(logs.map(spendLogView));
  });

  // Every key, highest spend first; `limit` keeps the answer bounded on a gateway with many keys.
  app.get("/spend/keys", async (c) => {
    const { limit } = readQuery(c, spendKeysQuerySchema);
    return c.json((await keysBySpend(c.get("deps").sql, limit)).map(keyView));
  });

  // For charts: spend and tokens over time, per key (its hash), team, user or model.
  app.get("/spend/report", async (c) => {
    const query = readQuery(c, spendReportQuerySchema);
    const rows = await spendReport(c.get("deps").sql, {
      groupBy: query.group_by,
      period: query.period,
      ...dateRange(query),
    });
    return c.json(
      rows.map((row) => ({
        period: row.period.toISOString(),
        group: row.group,
        spend: row.spend,
        total_tokens: row.totalTokens,
        requests: row.requests,
      })),
    );
  });

  app.get("/global/spend", async (c) => {
    const { sql, config } = c.get("deps");
    const spend = await globalSpend(sql, dateRange(readQuery(c, globalSpendQuerySchema)));
    // LiteLLM answers its proxy-wide max_budget here, null when none is set.
    return c.json({ spend: spend.total, max_budget: config.current().proxyBudget?.maxBudget ?? null });
  });

  app.get("/global/spend/models", async (c) => {
    const query = readQuery(c, spendByModelQuerySchema);
    const spend = await globalSpend(c.get("deps").sql, dateRange(query));
    const top = spend.perModel.slice(0, query.limit ?? 10);
    return c.json(top.map((row) => ({ model: row.model, total_spend: row.spend })));
  });

  return app;
}
