import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { signedIn, signOut, whenSignedOut } from "./api";
import { html } from "./html";
import { HaPage } from "./pages/ha";
import { KeysPage } from "./pages/keys";
import { LogsPage } from "./pages/logs";
import { ModelsPage } from "./pages/models";
import { SpendPage } from "./pages/spend";
import { TeamsPage } from "./pages/teams";
import { UsersPage } from "./pages/users";
import { SignIn } from "./sign-in";
import "./styles.css";

const PAGES = {
  keys: { title: "Keys", page: KeysPage },
  teams: { title: "Teams", page: TeamsPage },
  users: { title: "Users", page: UsersPage },
  models: { title: "Models", page: ModelsPage },
  spend: { title: "Spend", page: SpendPage },
  logs: { title: "Logs", page: LogsPage },
  ha: { title: "HA", page: HaPage },
} as const;
type PageName = keyof typeof PAGES;

const pageFromHash = (): PageName => {
  const name = location.hash.replace(/^#\/?/, "");
  return Object.hasOwn(PAGES, name) ? (name as PageName) : "keys";
};

function App() {
  const [session, setSession] = useState<"unknown" | "in" | "out">("unknown");
  const [reason, setReason] = useState<string>();
  const [page, setPage] = useState(pageFromHash);
  useEffect(() => {
    whenSignedOut((message) => {
      setReason(message);
      setSession("out");
    });
    void signedIn().then((yes) => setSession(yes ? "in" : "out"));
    const onHash = () => setPage(pageFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  if (session === "unknown") return null;
  if (session === "out")
    return html`<${SignIn} reason=${reason} onSignedIn=${() => {
      setReason(undefined);
      setSession("in");
    }} />`;
  const Page = PAGES[page].page;
  return html`<div class="shell">
    <a class="skip" href="#content">Skip to content</a>
    <nav class="sidebar" aria-label="console">
      <strong class="brand">RouteIQ</strong>
      <ul>
        ${Object.entries(PAGES).map(
          ([name, { title }]) =>
            html`<li><a href=${`#/${name}`} aria-current=${name === page ? "page" : undefined}>${title}</a></li>`,
        )}
      </ul>
      <button type="button" class="quiet" onClick=${() => void signOut().then(() => setSession("out"))}>Sign out</button>
    </nav>
    <main id="content" tabindex="-1"><${Page} /></main>
  </div>`;
}

const root = document.getElementById("app");
if (root !== null) render(html`<${App} />`, root);
