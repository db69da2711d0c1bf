import type { SqlExecutor } from "../store/sql/port";
import { dailySpendByModel } from "../store/tables/spend-daily";
import { type GlobalSpend, globalSpend as loggedSpend } from "../store/tables/spend-logs";

const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const floorDay = (date: Date) => Math.floor(date.getTime() / DAY_MS) * DAY_MS;
const ceilDay = (date: Date) => Math.ceil(date.getTime() / DAY_MS) * DAY_MS;

/**
 * Total spend and spend per model over requests started in the range, read from the daily rollups
 * for its whole UTC days and from the log only for the part-days at its ends (a range given in
 * dates has none): a report over months reads a row per model and day, not every request.
 */
export async function globalSpend(
  sql: SqlExecutor,
  range: { startDate?: Date; endDate?: Date } = {},
): Promise<GlobalSpend> {
  const { startDate, endDate } = range;
  const fromMs = startDate === undefined ? undefined : ceilDay(startDate);
  const toMs = endDate === undefined ? undefined : floorDay(endDate);
  const parts: Promise<{ model: string; spend: number }[]>[] = [];
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    // Within one day (or across one midnight): no whole day to read from the rollups.
    parts.push(loggedSpend(sql, range).then((spend) => spend.perModel));
  } else {
    parts.push(
      dailySpendByModel(sql, {
        fromDay: fromMs === undefined ? undefined : dayOf(fromMs),
        toDay: toMs === undefined ? undefined : dayOf(toMs),
      }),
    );
    if (startDate !== undefined && fromMs !== startDate.getTime()) {
      const head = { startDate, endDate: new Date(fromMs as number) };
      parts.push(loggedSpend(sql, head).then((spend) => spend.perModel));
    }
    if (endDate !== undefined && toMs !== endDate.getTime()) {
      const tail = { startDate: new Date(toMs as number), endDate };
      parts.push(loggedSpend(sql, tail).then((spend) => spend.perModel));
    }
  }
  const perModel = new Map<string, number>();
  for (const rows of await Promise.all(parts)) {
    for (const row of rows) perModel.set(row.model, (perModel.get(row.model) ?? 0) + row.spend);
  }
  const sorted = [...perModel.entries()]
    .map(([model, spend]) => ({ model, spend }))
    .sort((a, b) => b.spend - a.spend || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  return { total: sorted.reduce((sum, row) => sum + row.spend, 0), perModel: sorted };
}
