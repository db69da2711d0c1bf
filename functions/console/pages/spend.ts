import { useMemo, useState } from "preact/hooks";
import { api, query } from "../api";
import { type Series, TimeChart } from "../chart";
import { money, short } from "../format";
import { html } from "../html";
import { useLoad } from "../load";
import { Notice, Title } from "../widgets";

interface ReportRow {
  period: string;
  group: string;
  spend: number;
  total_tokens: number;
  requests: number;
}

type Grouping = "model" | "key" | "team" | "user";
type Period = "day" | "week" | "month";
type Measure = "spend" | "total_tokens";

const RANGE_DAYS: Readonly<Record<Period, number>> = { day: 30, week: 12 * 7, month: 365 };
const SHOWN_GROUPS = 6;

const label = (grouping: Grouping, group: string) => (grouping === "key" ? short(group) : group);

/** Totals per group, highest spend first. */
function totals(rows: readonly ReportRow[]) {
  const byGroup = new Map<string, { spend: number; tokens: number; requests: number }>();
  for (const row of rows) {
    const sum = byGroup.get(row.group) ?? { spend: 0, tokens: 0, requests: 0 };
    byGroup.set(row.group, {
      spend: sum.spend + row.spend,
      tokens: sum.tokens + row.total_tokens,
      requests: sum.requests + row.requests,
    });
  }
  return [...byGroup.entries()]
    .map(([group, sum]) => ({ group, ...sum }))
    .sort((a, b) => b.spend - a.spend || b.tokens - a.tokens);
}

/** Every period start (UTC; weeks from Monday, as PostgreSQL's date_trunc) from `start` to now, in epoch seconds. */
function periods(start: string, period: Period): number[] {
  const at = new Date(`${start}T00:00:00Z`);
  if (period === "week") at.setUTCDate(at.getUTCDate() - ((at.getUTCDay() + 6) % 7));
  if (period === "month") at.setUTCDate(1);
  const times: number[] = [];
  while (at.getTime() <= Date.now()) {
    times.push(at.getTime() / 1000);
    if (period === "day") at.setUTCDate(at.getUTCDate() + 1);
    else if (period === "week") at.setUTCDate(at.getUTCDate() + 7);
    else at.setUTCMonth(at.getUTCMonth() + 1);
  }
  return times;
}

function chartData(
  rows: readonly ReportRow[],
  groups: readonly string[],
  measure: Measure,
  grouping: Grouping,
  times: readonly number[],
) {
  const series: Series[] = groups.map((group) => ({
    label: label(grouping, group),
    values: times.map((t) => {
      const row = rows.find((r) => r.group === group && Date.parse(r.period) / 1000 === t);
      return row === undefined ? 0 : row[measure];
    }),
  }));
  return { times, series };
}

const Select = <T extends string>({
  label: text,
  value,
  options,
  onChange,
}: {
  label: string;
  value: T;
  options: readonly T[];
  onChange: (v: T) => void;
}) =>
  html`<label class="field"><span>${text}</span>
    <select name=${text.toLowerCase()} value=${value} onChange=${(e: Event) => onChange((e.target as HTMLSelectElement).value as T)}>
      ${options.map((o) => html`<option value=${o}>${o.replace("_", " ")}</option>`)}
    </select>
  </label>`;

/** Spend and tokens over time per key, team, user or model, and who spent most in the range. */
export function SpendPage() {
  const [grouping, setGrouping] = useState<Grouping>("model");
  const [period, setPeriod] = useState<Period>("day");
  const [measure, setMeasure] = useState<Measure>("spend");
  const start = new Date(Date.now() - RANGE_DAYS[period] * 86_400_000).toISOString().slice(0, 10);
  const report = useLoad(
    () => api<ReportRow[]>(`/spend/report${query({ group_by: grouping, period, start_date: start })}`),
    [grouping, period],
  );
  const rows = report.data ?? [];
  const ranked = useMemo(() => totals(rows), [rows]);
  const chart = useMemo(
    () =>
      chartData(
        rows,
        ranked.slice(0, SHOWN_GROUPS).map((r) => r.group),
        measure,
        grouping,
        periods(start, period),
      ),
    [rows, ranked, measure, grouping, start, period],
  );
  return html`<section>
    <${Title}>Spend<//>
    <div class="filters">
      <${Select} label="Group by" value=${grouping} options=${["model", "key", "team", "user"] as const} onChange=${setGrouping} />
      <${Select} label="Period" value=${period} options=${["day", "week", "month"] as const} onChange=${setPeriod} />
      <${Select} label="Measure" value=${measure} options=${["spend", "total_tokens"] as const} onChange=${setMeasure} />
      <button type="button" onClick=${report.reload}>Refresh</button>
    </div>
    <${Notice} error=${report.error} />
    <p class="muted">Since ${start}, per ${period}, from the daily rollups; the ${SHOWN_GROUPS} highest spenders are charted.</p>
    ${rows.length === 0 ? html`<p class="muted">No requests in this range yet.</p>` : html`<${TimeChart} times=${chart.times} series=${chart.series} unit=${measure === "spend" ? "$" : "tokens"} />`}
    <h2>Top spenders by ${grouping}</h2>
    <div class="table-wrap">
      <table aria-label="top spenders">
        <thead><tr><th>${grouping}</th><th>Spend</th><th>Tokens</th><th>Requests</th></tr></thead>
        <tbody>
          ${ranked.map(
            (r) =>
              html`<tr key=${r.group}><td title=${r.group}>${label(grouping, r.group)}</td><td>${money(r.spend)}</td><td>${r.tokens}</td><td>${r.requests}</td></tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}
