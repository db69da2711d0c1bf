import { useState } from "preact/hooks";
import { api } from "../api";
import { html } from "../html";
import { useLoad } from "../load";
import { Field, Notice } from "../widgets";
import { useForm } from "./limits-form";

/** One entry of `/model/info`: what the gateway shows of a model, credentials left out. */
export interface ModelEntry {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown> & { id: string; db_model: boolean };
}

const text = (value: unknown): string => (value === undefined || value === null ? "" : String(value));

/** A number field as the API should see it: unset when empty, else what was typed (the API validates). */
const numberField = (value: string): number | string | undefined => {
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  return Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
};

function ModelForm({ editing, onDone }: { editing: ModelEntry | undefined; onDone: () => void }) {
  const initial = {
    model_name: editing?.model_name ?? "",
    model: text(editing?.litellm_params.model),
    // /model/info shows api_base without credentials or query (and nothing for an os.environ/
    // reference): it is sent back only when the operator edits it, never as displayed.
    api_base: text(editing?.litellm_params.api_base),
    api_key: "",
    rpm: text(editing?.litellm_params.rpm),
    tpm: text(editing?.litellm_params.tpm),
    input_cost_per_token: text(editing?.model_info.input_cost_per_token),
    output_cost_per_token: text(editing?.model_info.output_cost_per_token),
  };
  const { form, bind } = useForm(initial);
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(undefined);
    // A new model gets every filled field. An edit sends only the fields the operator changed (a
    // field emptied removes its value: null), so what the form could only show is never written back.
    type Name = keyof typeof initial;
    const field = (name: Name, value: unknown): Record<string, unknown> => {
      const empty = value === undefined || value === "";
      if (editing === undefined) return empty ? {} : { [name]: value };
      return form[name] === initial[name] ? {} : { [name]: empty ? null : value };
    };
    const litellm_params = {
      model: form.model.trim(),
      ...field("api_base", form.api_base.trim()),
      ...field("rpm", numberField(form.rpm)),
      ...field("tpm", numberField(form.tpm)),
      ...(form.api_key === "" ? {} : { api_key: form.api_key }),
    };
    const model_info = {
      ...field("input_cost_per_token", numberField(form.input_cost_per_token)),
      ...field("output_cost_per_token", numberField(form.output_cost_per_token)),
    };
    const body = { model_name: form.model_name.trim(), litellm_params, model_info };
    try {
      if (editing === undefined) await api("/model/new", { body });
      else await api(`/model/${encodeURIComponent(editing.model_info.id)}/update`, { method: "PATCH", body });
      onDone();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<form class="panel" onSubmit=${submit} aria-label=${editing === undefined ? "add model" : "edit model"}>
    <h2>${editing === undefined ? "Add a model" : `Edit ${editing.model_name} (${editing.model_info.id})`}</h2>
    <div class="grid">
      <${Field} label="Model name (group)" ...${bind("model_name")} />
      <${Field} label="Upstream model" placeholder="openai/gpt-4o" ...${bind("model")} />
      <${Field}
        label=${editing === undefined ? "API base" : "API base (shown without credentials; unchanged = kept)"}
        placeholder="https://api.openai.com/v1"
        ...${bind("api_base")}
      />
      <${Field}
        label=${editing === undefined ? "API key" : "API key (empty = keep)"}
        type="password"
        ...${bind("api_key")}
      />
      <${Field} label="RPM" type="number" ...${bind("rpm")} />
      <${Field} label="TPM" type="number" ...${bind("tpm")} />
      <${Field} label="Input cost per token ($)" type="number" ...${bind("input_cost_per_token")} />
      <${Field} label="Output cost per token ($)" type="number" ...${bind("output_cost_per_token")} />
    </div>
    <${Notice} error=${error} />
    <div class="row">
      <button type="submit">${editing === undefined ? "Add model" : "Save"}</button>
      <button type="button" class="quiet" onClick=${onDone}>Cancel</button>
    </div>
  </form>`;
}

/**
 * Every configured model (`/model/info`): the config file's read-only, the database's (with
 * STORE_MODEL_IN_DB=true) added, edited and deleted through the model management API.
 */
export function ModelList({ onChanged }: { onChanged: () => void }) {
  const models = useLoad(() => api<{ data: ModelEntry[] }>("/model/info"), []);
  const [form, setForm] = useState<{ editing: ModelEntry | undefined }>();
  const [error, setError] = useState<string>();
  const changed = () => {
    models.reload();
    onChanged();
  };
  const remove = async (model: ModelEntry) => {
    if (!window.confirm(`Delete model ${model.model_name} (${model.model_info.id})?`)) return;
    setError(undefined);
    try {
      await api("/model/delete", { body: { id: model.model_info.id } });
      changed();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<article class="panel" aria-label="configured models">
    <header class="page-title">
      <h2>Configured models</h2>
      <div class="actions"><button type="button" onClick=${() => setForm({ editing: undefined })}>Add model</button></div>
    </header>
    <p class="muted">
      Models from the config file are read-only here. Adding, editing and deleting needs STORE_MODEL_IN_DB=true:
      those models live in the database, and every replica serves a change within seconds.
    </p>
    ${
      form === undefined
        ? null
        : html`<${ModelForm} key=${form.editing?.model_info.id ?? "new"} editing=${form.editing} onDone=${() => {
            setForm(undefined);
            changed();
          }} />`
    }
    <${Notice} error=${models.error ?? error} />
    <div class="table-wrap">
      <table aria-label="models">
        <thead><tr><th>Model name</th><th>Upstream model</th><th>API base</th><th>RPM / TPM</th><th>Source</th><th>Actions</th></tr></thead>
        <tbody>
          ${(models.data?.data ?? []).map(
            (m) => html`<tr key=${m.model_info.id} data-model-id=${m.model_info.id}>
              <td>${m.model_name}</td>
              <td>${text(m.litellm_params.model)}</td>
              <td>${text(m.litellm_params.api_base) || "—"}</td>
              <td>${text(m.litellm_params.rpm) || "—"} / ${text(m.litellm_params.tpm) || "—"}</td>
              <td>${m.model_info.db_model ? "database" : "config file (read-only)"}</td>
              <td>
                ${
                  m.model_info.db_model
                    ? html`<div class="row">
                        <button type="button" onClick=${() => setForm({ editing: m })}>Edit</button>
                        <button type="button" class="danger" onClick=${() => void remove(m)}>Delete</button>
                      </div>`
                    : "—"
                }
              </td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </article>`;
}
