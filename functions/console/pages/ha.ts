import { api, apiAnswer } from "../api";
import { when } from "../format";
import { html } from "../html";
import { useLoad } from "../load";
import { Notice, Title } from "../widgets";

interface SyncStatus {
  enabled: boolean;
  running: boolean;
  leader_election: {
    enabled: boolean;
    is_leader: boolean;
    holder_id: string | null;
    lease_expires_at: string | null;
    fencing_token?: number | null;
    lock_name?: string;
  };
  source?: string;
  revision?: number;
  revision_source?: string;
  revision_loaded_at?: string;
  last_sync_at?: string | null;
  last_outcome?: string | null;
  last_error?: string | null;
}

interface Lease {
  lock_name: string;
  holder_id: string | null;
  expires_at: string | null;
  fencing_token: number | null;
  expired: boolean | null;
}

interface Readiness {
  status: string;
  checks: Record<string, string>;
}

interface Replica {
  id: string;
  revision: number;
  revision_source: string;
  is_leader: boolean;
  readiness: string;
  checks: Record<string, string>;
  last_seen: string;
  age_seconds: number;
}

interface Replicas {
  heartbeat_seconds: number;
  stale_after_seconds: number;
  replicas: Replica[];
}

const REFRESH_MS = 2_000;

async function loadHa() {
  const [status, lease, readiness, replicas] = await Promise.all([
    api<SyncStatus>("/llmrouter/config/sync/status"),
    api<Lease>("/llmrouter/config/sync/lease"),
    apiAnswer<Readiness>("/_health/ready"),
    // The roster lives in Redis: without it the rest of the page still has something to say.
    api<Replicas>("/llmrouter/replicas").then(
      (body) => ({ body, error: undefined }),
      (failure: Error) => ({ body: undefined, error: failure.message }),
    ),
  ]);
  return { status, lease, readiness: readiness.body, replicas, loadedAt: new Date().toISOString() };
}

const checksText = (checks: Record<string, string>) =>
  Object.entries(checks)
    .map(([name, state]) => `${name}: ${state}`)
    .join(", ");

function ReplicaTable({
  replicas,
  thisReplica,
}: {
  replicas: Replicas;
  thisReplica: string | null | undefined;
}) {
  return html`<div class="table-wrap">
    <table aria-label="replicas">
      <thead><tr><th>Replica</th><th>Served revision</th><th>Leads</th><th>Readiness</th><th>Last report</th></tr></thead>
      <tbody>
        ${replicas.replicas.map(
          (r) => html`<tr key=${r.id} data-replica=${r.id}>
            <td><code>${r.id}</code>${r.id === thisReplica ? html` <small class="muted">(this one)</small>` : null}</td>
            <td data-testid="replica-revision">${r.revision} <small class="muted">${r.revision_source}</small></td>
            <td>${r.is_leader ? "yes" : "no"}</td>
            <td title=${checksText(r.checks)}><span class=${r.readiness === "ready" ? "good" : "bad"}>${r.readiness}</span>${
              r.readiness === "ready"
                ? null
                : html`<br /><small class="muted">${checksText(r.checks)}</small>`
            }</td>
            <td>${Math.round(r.age_seconds)} s ago</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

const Row = ({ label, value, id }: { label: string; value: unknown; id?: string }) =>
  html`<div class="kv"><dt>${label}</dt><dd data-testid=${id}>${value === null || value === undefined || value === "" ? "—" : String(value)}</dd></div>`;

/**
 * Who leads config sync, every replica's served revision and readiness (from the roster each
 * replica reports to), this replica's view of sync, and whether its database and Redis answer.
 */
export function HaPage() {
  const ha = useLoad(loadHa, [], REFRESH_MS);
  const data = ha.data;
  const election = data?.status.leader_election;
  return html`<section>
    <${Title}>High availability<//>
    <p class="muted" aria-live="polite">Refreshes every ${REFRESH_MS / 1000} s${data === undefined ? "" : `; last at ${when(data.loadedAt)}`}.</p>
    <${Notice} error=${ha.error} />
    ${
      data === undefined
        ? null
        : html`<div class="cards">
            <article class="panel" aria-label="leader">
              <h2>Config sync leader</h2>
              <dl>
                <${Row} label="Leader (lease holder)" id="leader" value=${data.lease.expired === false ? data.lease.holder_id : data.lease.holder_id === null ? "none" : `none (lease of ${data.lease.holder_id} expired)`} />
                <${Row} label="Lease expires" value=${when(data.lease.expires_at)} />
                <${Row} label="Fencing token" id="fencing-token" value=${data.lease.fencing_token} />
                <${Row} label="Lock" value=${data.lease.lock_name} />
                <${Row} label="Election" value=${election?.enabled ? "on" : "off (no database-backed sync)"} />
              </dl>
            </article>
            <article class="panel" aria-label="this replica">
              <h2>This replica</h2>
              <dl>
                <${Row} label="Replica id" id="replica" value=${election?.holder_id} />
                <${Row} label="Leads" value=${election?.is_leader ? "yes" : "no"} />
                <${Row} label="Served config revision" id="revision" value=${data.status.revision} />
                <${Row} label="Revision from" value=${data.status.revision_source} />
                <${Row} label="Loaded at" value=${when(data.status.revision_loaded_at)} />
                <${Row} label="Sync source" value=${data.status.enabled ? data.status.source : "sync off (config file)"} />
                <${Row} label="Last sync" value=${when(data.status.last_sync_at)} />
                <${Row} label="Last outcome" value=${data.status.last_outcome} />
                <${Row} label="Last error" value=${data.status.last_error} />
              </dl>
            </article>
            <article class="panel" aria-label="readiness">
              <h2>Readiness: <span class=${data.readiness.status === "ready" ? "good" : "bad"}>${data.readiness.status}</span></h2>
              <dl>
                ${Object.entries(data.readiness.checks).map(([name, state]) => html`<${Row} label=${name} value=${state} />`)}
              </dl>
            </article>
            <article class="panel wide" aria-label="replicas">
              <h2>Replicas</h2>
              <p class="muted">Each replica reports every ${data.replicas.body?.heartbeat_seconds ?? "few"} s; one silent for ${data.replicas.body?.stale_after_seconds ?? "a few"} s is left out.</p>
              <${Notice} error=${data.replicas.error} />
              ${data.replicas.body === undefined ? null : html`<${ReplicaTable} replicas=${data.replicas.body} thisReplica=${election?.holder_id} />`}
            </article>
          </div>`
    }
  </section>`;
}
