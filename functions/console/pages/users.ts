import { useState } from "preact/hooks";
import { api, query } from "../api";
import { list, money } from "../format";
import { html } from "../html";
import { useLoad } from "../load";
import { Field, Notice, Pager, Title } from "../widgets";
import { type Limits, LimitsFields, limitsBody, limitsText, useForm } from "./limits-form";

interface User extends Limits {
  user_id: string;
  user_email: string | null;
  user_role: string | null;
  teams: string[];
  spend: number;
  key_count: number;
}

interface UserPage {
  users: User[];
  total: number;
  total_pages: number;
}

function UserForm({ editing, onDone }: { editing: User | undefined; onDone: () => void }) {
  const { form, bind } = useForm({
    user_id: "",
    user_email: editing?.user_email ?? "",
    teams: (editing?.teams ?? []).join(", "),
    ...limitsText(editing),
  });
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    const body = {
      user_email: form.user_email.trim() === "" ? null : form.user_email.trim(),
      teams: list(form.teams),
      ...limitsBody(form),
    };
    try {
      if (editing === undefined) {
        const id = form.user_id.trim();
        await api("/user/new", { body: { ...(id === "" ? {} : { user_id: id }), ...body } });
      } else {
        await api("/user/update", { body: { user_id: editing.user_id, ...body } });
      }
      onDone();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-label=${editing === undefined ? "create user" : "edit user"}>
    <h2>${editing === undefined ? "Create a user" : `Edit ${editing.user_id}`}</h2>
    <div class="grid">
      ${editing === undefined ? html`<${Field} label="User id (optional)" ...${bind("user_id")} />` : null}
      <${Field} label="Email" type="email" ...${bind("user_email")} />
      <${Field} label="Teams (comma separated)" ...${bind("teams")} />
      <${LimitsFields} bind=${bind} />
    </div>
    <${Notice} error=${error} />
    <div class="row">
      <button type="submit">${editing === undefined ? "Create user" : "Save"}</button>
      <button type="button" class="quiet" onClick=${onDone}>Cancel</button>
    </div>
  </form>`;
}

export function UsersPage() {
  const [page, setPage] = useState(1);
  const [email, setEmail] = useState("");
  const [applied, setApplied] = useState("");
  const [form, setForm] = useState<{ editing: User | undefined } | undefined>();
  const [actionError, setActionError] = useState<string>();
  const users = useLoad(
    () => api<UserPage>(`/user/list${query({ page, page_size: 20, user_email: applied })}`),
    [page, applied],
  );
  const remove = async (user: User) => {
    if (!window.confirm(`Delete user ${user.user_id}?`)) return;
    try {
      await api("/user/delete", { body: { user_ids: [user.user_id] } });
      users.reload();
    } catch (failure) {
      setActionError((failure as Error).message);
    }
  };
  return html`<section>
    <${Title} actions=${html`<button type="button" onClick=${() => setForm({ editing: undefined })}>Create user</button>`}>Users<//>
    ${
      form === undefined
        ? null
        : html`<${UserForm} editing=${form.editing} onDone=${() => {
            setForm(undefined);
            users.reload();
          }} />`
    }
    <form class="filters" role="search" onSubmit=${(e: Event) => {
      e.preventDefault();
      setPage(1);
      setApplied(email);
    }}>
      <${Field} label="Email contains" value=${email} onInput=${setEmail} />
      <button type="submit">Search</button>
    </form>
    <${Notice} error=${users.error ?? actionError} />
    <div class="table-wrap">
      <table>
        <thead><tr><th>User</th><th>Email</th><th>Role</th><th>Teams</th><th>Keys</th><th>Spend</th><th>Budget</th><th>Actions</th></tr></thead>
        <tbody>
          ${(users.data?.users ?? []).map(
            (user) => html`<tr key=${user.user_id}>
              <td>${user.user_id}</td>
              <td>${user.user_email ?? "—"}</td>
              <td>${user.user_role ?? "—"}</td>
              <td>${user.teams.join(", ") || "—"}</td>
              <td>${user.key_count}</td>
              <td>${money(user.spend)}</td>
              <td>${money(user.max_budget)}</td>
              <td class="row">
                <button type="button" onClick=${() => setForm({ editing: user })}>Edit</button>
                <button type="button" class="danger" onClick=${() => remove(user)}>Delete</button>
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <${Pager} page=${page} pages=${users.data?.total_pages ?? 1} onPage=${setPage} />
  </section>`;
}
