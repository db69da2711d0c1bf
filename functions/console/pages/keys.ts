import { useState } from "preact/hooks";
import { api, query } from "../api";
import { money, short, when } from "../format";
import { html } from "../html";
import { useAction, useLoad } from "../load";
import { Field, Notice, Pager, SecretOnce, Title } from "../widgets";
import { type Limits, LimitsFields, limitsBody, limitsText, useForm } from "./limits-form";

interface Key extends Limits {
  token: string;
  key_name: string;
  key_alias: string | null;
  team_id: string | null;
  user_id: string | null;
  expires: string | null;
  blocked: boolean | null;
  spend: number;
}

interface KeyPage {
  keys: Key[];
  total_count: number;
  total_pages: number;
}

const PAGE_SIZE = 20;

/** `2030-01-01T00:00` (a datetime-local input, local time) as ISO 8601, or null when empty. */
const expiry = (local: string) => (local === "" ? null : new Date(local).toISOString());
const localInput = (iso: string | null) => {
  if (iso === null) return "";
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function KeyForm({ editing, onDone }: { editing: Key | undefined; onDone: (created?: string) => void }) {
  const { form, bind } = useForm({
    key_alias: editing?.key_alias ?? "",
    team_id: editing?.team_id ?? "",
    user_id: editing?.user_id ?? "",
    expires: localInput(editing?.expires ?? null),
    ...limitsText(editing),
  });
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const body = {
      key_alias: form.key_alias.trim() === "" ? null : form.key_alias.trim(),
      team_id: form.team_id.trim() === "" ? null : form.team_id.trim(),
      user_id: form.user_id.trim() === "" ? null : form.user_id.trim(),
      expires: expiry(form.expires),
      ...limitsBody(form),
    };
    try {
      if (editing === undefined) {
        const created = await api<{ key: string }>("/key/generate", { body });
        onDone(created.key);
      } else {
        await api("/key/update", { body: { key: editing.token, ...body } });
        onDone();
      }
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-label=${editing === undefined ? "create key" : "edit key"}>
    <h2>${editing === undefined ? "Create a key" : `Edit ${editing.key_alias ?? short(editing.token)}`}</h2>
    <div class="grid">
      <${Field} label="Alias" ...${bind("key_alias")} />
      <${Field} label="Team id" ...${bind("team_id")} />
      <${Field} label="User id" ...${bind("user_id")} />
      <${Field} label="Expires" type="datetime-local" ...${bind("expires")} />
      <${LimitsFields} bind=${bind} />
    </div>
    <${Notice} error=${error} />
    <div class="row">
      <button type="submit">${editing === undefined ? "Create key" : "Save"}</button>
      <button type="button" class="quiet" onClick=${() => onDone()}>Cancel</button>
    </div>
  </form>`;
}

export function KeysPage() {
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState({ key_alias: "", team_id: "", user_id: "" });
  const [applied, setApplied] = useState(search);
  const [form, setForm] = useState<{ editing: Key | undefined } | undefined>();
  const [created, setCreated] = useState<string>();
  const keys = useLoad(
    () =>
      api<KeyPage>(`/key/list${query({ ...applied, page, size: PAGE_SIZE, return_full_object: "true" })}`),
    [page, applied],
  );
  const { act, error: actionError } = useAction(keys);
  const remove = (key: Key) => {
    if (
      window.confirm(`Delete key ${key.key_alias ?? short(key.token)}? Clients using it are refused at once.`)
    )
      void act("/key/delete", { keys: [key.token] });
  };
  return html`<section>
    <${Title} actions=${html`<button type="button" onClick=${() => setForm({ editing: undefined })}>Create key</button>`}>Keys<//>
    ${created === undefined ? null : html`<${SecretOnce} value=${created} onClose=${() => setCreated(undefined)} />`}
    ${
      form === undefined
        ? null
        : html`<${KeyForm}
            editing=${form.editing}
            onDone=${(key?: string) => {
              setForm(undefined);
              if (key !== undefined) setCreated(key);
              keys.reload();
            }}
          />`
    }
    <form
      class="filters"
      role="search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        setPage(1);
        setApplied(search);
      }}
    >
      <${Field} label="Alias" value=${search.key_alias} onInput=${(v: string) => setSearch({ ...search, key_alias: v })} />
      <${Field} label="Team id" value=${search.team_id} onInput=${(v: string) => setSearch({ ...search, team_id: v })} />
      <${Field} label="User id" value=${search.user_id} onInput=${(v: string) => setSearch({ ...search, user_id: v })} />
      <button type="submit">Search</button>
    </form>
    <${Notice} error=${keys.error ?? actionError} />
    <div class="table-wrap">
      <table>
        <thead>
          <tr><th>Alias</th><th>Key</th><th>Team</th><th>User</th><th>Spend</th><th>Budget</th><th>Models</th><th>Expires</th><th>Status</th><th>Actions</th></tr>
        </thead>
        <tbody>
          ${(keys.data?.keys ?? []).map(
            (key) => html`<tr key=${key.token} data-key=${key.key_alias ?? key.token}>
              <td>${key.key_alias ?? "—"}</td>
              <td><code title=${key.token}>${key.key_name}</code></td>
              <td>${key.team_id ?? "—"}</td>
              <td>${key.user_id ?? "—"}</td>
              <td>${money(key.spend)}</td>
              <td>${money(key.max_budget)}</td>
              <td>${(key.models ?? []).length === 0 ? "all" : key.models?.join(", ")}</td>
              <td>${when(key.expires)}</td>
              <td>${key.blocked === true ? html`<span class="bad">blocked</span>` : html`<span class="good">active</span>`}</td>
              <td class="row">
                ${
                  key.blocked === true
                    ? html`<button type="button" onClick=${() => act("/key/unblock", { key: key.token })}>Unblock</button>`
                    : html`<button type="button" onClick=${() => act("/key/block", { key: key.token })}>Block</button>`
                }
                <button type="button" onClick=${() => setForm({ editing: key })}>Edit</button>
                <button type="button" class="danger" onClick=${() => remove(key)}>Delete</button>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <p class="muted">${keys.data?.total_count ?? 0} keys</p>
    <${Pager} page=${page} pages=${keys.data?.total_pages ?? 1} onPage=${setPage} />
  </section>`;
}
