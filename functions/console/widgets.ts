import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { html } from "./html";

export const Notice = ({ error }: { error: string | undefined }) =>
  error === undefined ? null : html`<p class="error" role="alert">${error}</p>`;

export const Title = ({ children, actions }: { children: ComponentChildren; actions?: ComponentChildren }) =>
  html`<header class="page-title"><h1>${children}</h1><div class="actions">${actions}</div></header>`;

/** Shown once: a secret with a copy button (the gateway will not show it again). */
export function SecretOnce({ value, onClose }: { value: string; onClose: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return html`<div class="secret" role="status">
    <p><strong>Copy this key now:</strong> it is shown once and cannot be read back.</p>
    <code data-testid="new-key">${value}</code>
    <div class="row">
      <button type="button" onClick=${copy}>${copied ? "Copied" : "Copy"}</button>
      <button type="button" class="quiet" onClick=${onClose}>Done</button>
    </div>
  </div>`;
}

/** A labelled input bound to one string of a form. */
export function Field({
  label,
  value,
  onInput,
  type = "text",
  placeholder,
  name,
}: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  placeholder?: string;
  name?: string;
}) {
  return html`<label class="field">
    <span>${label}</span>
    <input
      type=${type}
      name=${name ?? label.toLowerCase().replaceAll(" ", "_")}
      value=${value}
      placeholder=${placeholder}
      onInput=${(e: Event) => onInput((e.target as HTMLInputElement).value)}
    />
  </label>`;
}

export function Pager({
  page,
  pages,
  onPage,
}: {
  page: number;
  pages: number;
  onPage: (page: number) => void;
}) {
  return html`<nav class="pager" aria-label="pages">
    <button type="button" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>Previous</button>
    <span>page ${page} of ${Math.max(pages, 1)}</span>
    <button type="button" disabled=${page >= pages} onClick=${() => onPage(page + 1)}>Next</button>
  </nav>`;
}
