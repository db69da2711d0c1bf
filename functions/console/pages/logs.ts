import { useState } from "preact/hooks";
import { api, query } from "../api";
import { money, short, when } from "../format";
import { html } from "../html";
import { useLoad } from "../load";
import { Field, Notice, Title } from "../widgets";

interface LogRow {
  request_id: string;
  api_key: string | null;
  team_id: string | null;
  user: string | null;
  model: string;
  model_id: string | null;
  custom_llm_provider: string | null;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  startTime: string;
  endTime: string;
  status: "success" | "failure";
  status_code: number;
  cache_hit: boolean;
  metadata: Record<string, unknown>;
}

const EMPTY = { api_key: "", model: "", status: "", start_date: "", end_date: "" };

function Detail({ log, onClose }: { log: LogRow; onClose: () => void }) {
  return html`<article class="panel" aria-label="request detail">
    <header class="page-title"><h2>Request ${log.request_id}</h2><button type="button" class="quiet" onClick=${onClose}>Close</button></header>
    <dl class="cards">
      ${Object.entries(log)
        .filter(([name]) => name !== "metadata")
        .map(
          ([name, value]) =>
            html`<div class="kv"><dt>${name}</dt><dd>${value === null ? "—" : String(value)}</dd></div>`,
        )}
    </dl>
    <h3>Metadata</h3>
    <pre>${JSON.stringify(log.metadata, null, 2)}</pre>
  </article>`;
}

/** The spend log: every request, newest first, filtered by key, model, outcome and time. */
export function LogsPage() {
  const [filters, setFilters] = useState(EMPTY);
  const [applied, setApplied] = useState(EMPTY);
  const [open, setOpen] = useState<LogRow>();
  const logs = useLoad(() => api<LogRow[]>(`/spend/logs${query({ ...applied, limit: 100 })}`), [applied]);
  const set = (name: keyof typeof EMPTY) => (value: string) => setFilters({ ...filters, [name]: value });
  return html`<section>
    <${Title}>Request log<//>
    <form class="filters" role="search" onSubmit=${(e: Event) => {
      e.preventDefault();
      setApplied(filters);
    }}>
      <${Field} label="Key (sk-… or hash)" name="api_key" value=${filters.api_key} onInput=${set("api_key")} />
      <${Field} label="Model" name="model" value=${filters.model} onInput=${set("model")} />
      <label class="field"><span>Status</span>
        <select name="status" value=${filters.status} onChange=${(e: Event) => set("status")((e.target as HTMLSelectElement).value)}>
          <option value="">any</option><option value="success">success</option><option value="failure">failure</option>
        </select>
      </label>
      <${Field} label="From" type="date" name="start_date" value=${filters.start_date} onInput=${set("start_date")} />
      <${Field} label="To" type="date" name="end_date" value=${filters.end_date} onInput=${set("end_date")} />
      <button type="submit">Filter</button>
    </form>
    <${Notice} error=${logs.error} />
    ${open === undefined ? null : html`<${Detail} log=${open} onClose=${() => setOpen(undefined)} />`}
    <div class="table-wrap">
      <table aria-label="requests">
        <thead><tr><th>Started</th><th>Request</th><th>Key</th><th>Model</th><th>Deployment</th><th>Status</th><th>Tokens</th><th>Spend</th></tr></thead>
        <tbody>
          ${(logs.data ?? []).map(
            (log) => html`<tr key=${log.request_id}>
              <td>${when(log.startTime)}</td>
              <td><button type="button" class="link" onClick=${() => setOpen(log)}>${short(log.request_id)}</button></td>
              <td><code>${short(log.api_key)}</code></td>
              <td>${log.model}</td>
              <td>${log.model_id ?? "—"}</td>
              <td><span class=${log.status === "success" ? "good" : "bad"}>${log.status_code}</span></td>
              <td>${log.total_tokens}</td>
              <td>${money(log.spend)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}
