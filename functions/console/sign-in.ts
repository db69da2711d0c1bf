import { useState } from "preact/hooks";
import { signIn } from "./api";
import { html } from "./html";
import { Notice } from "./widgets";

/** The master key goes to the gateway once, in exchange for an HttpOnly session cookie; it is not kept. */
export function SignIn({ reason, onSignedIn }: { reason: string | undefined; onSignedIn: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await signIn(key);
      setKey("");
      onSignedIn();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };
  return html`<main class="sign-in">
    <form class="panel" onSubmit=${submit} aria-label="sign in">
      <h1>RouteIQ console</h1>
      ${reason === undefined ? null : html`<p class="muted">${reason}</p>`}
      <label class="field">
        <span>Master key</span>
        <input type="password" name="master_key" autocomplete="current-password" required value=${key} onInput=${(e: Event) => setKey((e.target as HTMLInputElement).value)} />
      </label>
      <${Notice} error=${error} />
      <button type="submit">Sign in</button>
    </form>
  </main>`;
}
