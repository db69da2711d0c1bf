import { useState } from "preact/hooks";
import { list, numberOrNull } from "../format";
import { html } from "../html";
import { Field } from "../widgets";

/** The limits keys, teams and users share, as the management API names them. */
export interface Limits {
  models?: string[];
  max_budget?: number | null;
  budget_duration?: string | null;
  rpm_limit?: number | null;
  tpm_limit?: number | null;
}

export interface LimitsText {
  models: string;
  max_budget: string;
  budget_duration: string;
  rpm_limit: string;
  tpm_limit: string;
}

const text = (value: number | string | null | undefined) =>
  value === null || value === undefined ? "" : String(value);

export const limitsText = (from: Limits = {}): LimitsText => ({
  models: (from.models ?? []).join(", "),
  max_budget: text(from.max_budget),
  budget_duration: text(from.budget_duration),
  rpm_limit: text(from.rpm_limit),
  tpm_limit: text(from.tpm_limit),
});

/** The body fields; the API validates them and names the field it refuses. */
export const limitsBody = (form: LimitsText): Limits => ({
  models: list(form.models),
  max_budget: numberOrNull(form.max_budget),
  budget_duration: form.budget_duration.trim() === "" ? null : form.budget_duration.trim(),
  rpm_limit: numberOrNull(form.rpm_limit),
  tpm_limit: numberOrNull(form.tpm_limit),
});

export function useForm<T extends object>(initial: T) {
  const [form, setForm] = useState(initial);
  const bind = (name: keyof T & string) => ({
    value: String(form[name] ?? ""),
    onInput: (value: string) => setForm((current) => ({ ...current, [name]: value })),
    name,
  });
  return { form, setForm, bind };
}

export function LimitsFields({
  bind,
}: {
  bind: (name: keyof LimitsText) => { value: string; onInput: (v: string) => void; name: string };
}) {
  return html`
    <${Field} label="Models (comma separated; empty = all)" ...${bind("models")} />
    <${Field} label="Max budget ($)" type="number" ...${bind("max_budget")} />
    <${Field} label="Budget duration" placeholder="30d" ...${bind("budget_duration")} />
    <${Field} label="RPM limit" type="number" ...${bind("rpm_limit")} />
    <${Field} label="TPM limit" type="number" ...${bind("tpm_limit")} />
  `;
}
