import { Hono } from "hono";
import { z } from "zod";
import { badRequest } from "../../errors";
import type { GatewayEnv } from "../../http/env";
import { globalSpend } from "../../spend/global-spend";
import { keysBySpend } from "../../store/tables/keys";
import { dailySpendReport } from "../../store/tables/spend-daily";
import { querySpendLogs } from "../../store/tables/spend-logs";
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
/** The longest range `/spend/report` covers, in days: a year, whichever day it ends on. */
const REPORT_MAX_DAYS = 366;

const reportDaySchema = z
  .string()
  .refine((text) => DATE_ONLY.test(text) && parseDate(text, false) !== undefined, {
    message: "expected a date (2024-06-01): the report counts whole UTC days",
  })
  // A range reaches a year past either end of it: PostgreSQL's dates must stay four-digit years.
  .refine((text) => text >= "0002-01-01" && text <= "9998-12-31", {
    message: "expected a date from 0002-01-01 to 9998-12-31",
  });

export const spendReportQuerySchema = z.strictObject({
  group_by: z.enum(["key", "team", "user", "model"]).default("model"),
  period: z.enum(["day", "week", "month"]).default("day"),
  start_date: reportDaySchema.optional(),
  end_date: reportDaySchema.optional(),
});

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The report's days, `[fromDay, toDay)`: both ends given, at most REPORT_MAX_DAYS apart; one end
 * missing, the range runs REPORT_MAX_DAYS from the other (and to today at the latest); neither,
 * the last REPORT_MAX_DAYS days up to today.
 */
function reportDays(
  query: { start_date?: string | undefined; end_date?: string | undefined },
  now: number,
): { fromDay: string; toDay: string } {
  const maxMs = REPORT_MAX_DAYS * DAY_MS;
  const tomorrow = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  const from =
    query.start_date === undefined ? undefined : (parseDate(query.start_date, false) as Date).getTime();
  const to = query.end_date === undefined ? undefined : (parseDate(query.end_date, true) as Date).getTime();
  if (from !== undefined && to !== undefined) {
    if (to <= from) throw badRequest("end_date: must not be before start_date", "end_date");
    if (to - from > maxMs) {
      throw badRequest(
        `start_date: the report covers at most ${REPORT_MAX_DAYS} days; ${query.start_date} to ${query.end_date} is ${(to - from) / DAY_MS}`,
        "start_date",
      );
    }
    return { fromDay: dayOf(from), toDay: dayOf(to) };
  }
  if (from !== undefined)
    return { fromDay: dayOf(from), toDay: dayOf(Math.max(from, Math.min(tomorrow, from + maxMs))) };
  const end = to ?? tomorrow;
  return { fromDay: dayOf(end - maxMs), toDay: dayOf(end) };
}
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

  // For charts: spend and tokens over time, per key (its hash), team, user or model, read from
  // the daily rollups over a bounded range of days.
  app.get("/spend/report", async (c) => {
    const query = readQuery(c, spendReportQuerySchema);
    const rows = await dailySpendReport(c.get("deps").sql, {
      kind: query.group_by,
      period: query.period,
      ...reportDays(query, Date.now()),
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
