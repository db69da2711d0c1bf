import { api } from "../api";
import { when } from "../format";
import { html } from "../html";
import { useLoad } from "../load";
import { Notice, Title } from "../widgets";
import { ModelList } from "./model-list";

interface DeploymentView {
  id: string;
  provider: string;
  model: string;
  api_base: string | null;
  in_flight: number;
  rpm: number;
  tpm: number;
  rpm_limit: number | null;
  tpm_limit: number | null;
  latency_ms: number | null;
  cooling_down: boolean;
  cooldown_until: string | null;
}

interface Groups {
  data: { model_group: string; deployments: DeploymentView[] }[];
}

const REFRESH_MS = 5_000;

/**
 * The configured models (editable when they live in the database), then the served model groups
 * and each deployment's state in the router, refreshed every few seconds.
 */
export function ModelsPage() {
  const groups = useLoad(() => api<Groups>("/llmrouter/deployments"), [], REFRESH_MS);
  return html`<section>
    <${Title}>Models<//>
    <${ModelList} onChanged=${groups.reload} />
    <h2>Served model groups</h2>
    <p class="muted">
      Health is the router's live view, shared by replicas through Redis: cooldowns, in-flight requests and latency.
    </p>
    <${Notice} error=${groups.error} />
    ${(groups.data?.data ?? []).map(
      (
        group,
      ) => html`<article class="panel" key=${group.model_group} aria-label=${`model group ${group.model_group}`}>
        <h2>${group.model_group}</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th>Deployment</th><th>Provider</th><th>Upstream model</th><th>Health</th><th>In flight</th><th>RPM</th><th>TPM</th><th>Latency</th></tr></thead>
            <tbody>
              ${group.deployments.map(
                (d) => html`<tr key=${d.id}>
                  <td><code>${d.id}</code></td>
                  <td>${d.provider}</td>
                  <td>${d.model}${d.api_base === null ? null : html`<br /><small class="muted">${d.api_base}</small>`}</td>
                  <td>
                    ${d.cooling_down ? html`<span class="bad">cooling down until ${when(d.cooldown_until)}</span>` : html`<span class="good">healthy</span>`}
                  </td>
                  <td>${d.in_flight}</td>
                  <td>${d.rpm}${d.rpm_limit === null ? "" : ` / ${d.rpm_limit}`}</td>
                  <td>${d.tpm}${d.tpm_limit === null ? "" : ` / ${d.tpm_limit}`}</td>
                  <td>${d.latency_ms === null ? "—" : `${Math.round(d.latency_ms)} ms`}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </article>`,
    )}
  </section>`;
}
