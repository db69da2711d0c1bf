import { useState } from "preact/hooks";
import { api } from "../api";
import { money } from "../format";
import { html } from "../html";
import { useAction, useLoad } from "../load";
import { Field, Notice, Title } from "../widgets";
import { type Limits, LimitsFields, limitsBody, limitsText, useForm } from "./limits-form";

interface Team extends Limits {
  team_id: string;
  team_alias: string | null;
  blocked: boolean;
  spend: number;
}

function TeamForm({ editing, onDone }: { editing: Team | undefined; onDone: () => void }) {
  const { form, bind } = useForm({
    team_id: "",
    team_alias: editing?.team_alias ?? "",
    ...limitsText(editing),
  });
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const alias = form.team_alias.trim() === "" ? null : form.team_alias.trim();
    try {
      if (editing === undefined) {
        const id = form.team_id.trim();
        await api("/team/new", {
          body: { ...(id === "" ? {} : { team_id: id }), team_alias: alias, ...limitsBody(form) },
        });
      } else {
        await api("/team/update", {
          body: { team_id: editing.team_id, team_alias: alias, ...limitsBody(form) },
        });
      }
      onDone();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-label=${editing === undefined ? "create team" : "edit team"}>
    <h2>${editing === undefined ? "Create a team" : `Edit ${editing.team_alias ?? editing.team_id}`}</h2>
    <div class="grid">
      ${editing === undefined ? html`<${Field} label="Team id (optional)" ...${bind("team_id")} />` : null}
      <${Field} label="Alias" ...${bind("team_alias")} />
      <${LimitsFields} bind=${bind} />
    </div>
    <${Notice} error=${error} />
    <div class="row">
      <button type="submit">${editing === undefined ? "Create team" : "Save"}</button>
      <button type="button" class="quiet" onClick=${onDone}>Cancel</button>
    </div>
  </form>`;
}

export function TeamsPage() {
  const teams = useLoad(() => api<Team[]>("/team/list"), []);
  const [search, setSearch] = useState("");
  const [form, setForm] = useState<{ editing: Team | undefined } | undefined>();
  const { act, error: actionError } = useAction(teams);
  const needle = search.trim().toLowerCase();
  const shown = (teams.data ?? []).filter(
    (t) =>
      needle === "" ||
      t.team_id.toLowerCase().includes(needle) ||
      (t.team_alias ?? "").toLowerCase().includes(needle),
  );
  return html`<section>
    <${Title} actions=${html`<button type="button" onClick=${() => setForm({ editing: undefined })}>Create team</button>`}>Teams<//>
    ${
      form === undefined
        ? null
        : html`<${TeamForm} editing=${form.editing} onDone=${() => {
            setForm(undefined);
            teams.reload();
          }} />`
    }
    <div class="filters" role="search"><${Field} label="Search" value=${search} onInput=${setSearch} /></div>
    <${Notice} error=${teams.error ?? actionError} />
    <div class="table-wrap">
      <table>
        <thead><tr><th>Team</th><th>Alias</th><th>Spend</th><th>Budget</th><th>Models</th><th>Status</th><th>Actions</th></tr></thead>
        <tbody>
          ${shown.map(
            (team) => html`<tr key=${team.team_id}>
              <td>${team.team_id}</td>
              <td>${team.team_alias ?? "—"}</td>
              <td>${money(team.spend)}</td>
              <td>${money(team.max_budget)}</td>
              <td>${(team.models ?? []).length === 0 ? "all" : team.models?.join(", ")}</td>
              <td>${team.blocked ? html`<span class="bad">blocked</span>` : html`<span class="good">active</span>`}</td>
              <td class="row">
                <button type="button" onClick=${() => act("/team/update", { team_id: team.team_id, blocked: !team.blocked })}>
                  ${team.blocked ? "Unblock" : "Block"}
                </button>
                <button type="button" onClick=${() => setForm({ editing: team })}>Edit</button>
                <button
                  type="button"
                  class="danger"
                  onClick=${() => window.confirm(`Delete team ${team.team_id}?`) && act("/team/delete", { team_ids: [team.team_id] })}
                >Delete</button>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}
