import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../../infra/bundle-console.mjs";
import { mintSession } from "../../shared/console/session";
import { launchChromium, saveScreenshot } from "../support/browser";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

/**
 * The operator console in headless Chromium against a real gateway: sign in, create a key and use
 * it, see its spend in the chart and its request in the log, block it and see it refused; and the
 * sign-ins and requests it must refuse. A failing test leaves a screenshot in test-artifacts/.
 */

type Gateway = Awaited<ReturnType<typeof startGateway>>;

let consoleDir: string;
let upstream: OpenAIUpstream;
let gateway: Gateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The key the console created, as its one showing gave it. */
let createdKey = "";

const ALIAS = "console-e2e";
const MODEL = "gpt-console";
/** Where docs/console.md's screenshots come from, when set (ROUTEIQ_CONSOLE_SCREENSHOTS=docs/img). */
const DOC_SHOTS = process.env.ROUTEIQ_CONSOLE_SCREENSHOTS;

const chat = (key: string) =>
  fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hello console" }] }),
  });

async function open(name: string) {
  await page.goto(`${gateway.url}/ui#/${name}`);
  await page.getByRole("heading", { level: 1 }).first().waitFor();
}

async function docShot(name: string) {
  if (DOC_SHOTS === undefined) return;
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(DOC_SHOTS, `console-${name}.png`) });
}

beforeAll(async () => {
  consoleDir = await mkdtemp(join(tmpdir(), "routeiq-console-"));
  await buildConsole(consoleDir);
  upstream = await startOpenAIUpstream({ name: "console-upstream" });
  gateway = await startGateway(
    {
      model_list: [
        {
          model_name: MODEL,
          litellm_params: { model: "openai/gpt-up", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
          model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
        },
      ],
    },
    {
      ROUTEIQ_CONSOLE_DIR: consoleDir,
      STORE_MODEL_IN_DB: "true",
      LITELLM_SALT_KEY: "salt-key-of-the-console-test-0123456789",
    },
  );
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
}, 120_000);

afterEach(async ({ task }) => {
  if (task.result?.state === "fail" && page !== undefined) {
    const path = await saveScreenshot(page, `console-${task.name}`);
    console.error(`screenshot of the failing page: ${path}`);
  }
});

afterAll(async () => {
  await browser?.close();
  await gateway?.shutdown();
  await upstream?.close();
  await rm(consoleDir, { recursive: true, force: true });
});

describe("operator console in a browser", () => {
  it("refuses a wrong master key and keeps the sign-in form", async () => {
    await page.goto(`${gateway.url}/ui`);
    await page.getByLabel("Master key").fill("sk-not-the-master-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("invalid master key");
    expect(await context.cookies()).toEqual([]);
    await docShot("sign-in");
  });

  it("signs in with the master key into an HttpOnly, SameSite=Strict session cookie", async () => {
    await page.getByLabel("Master key").fill(MASTER_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: "routeiq_console",
      httpOnly: true,
      sameSite: "Strict",
      path: "/ui",
    });
    expect(cookie?.value).not.toContain(MASTER_KEY);
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(
      await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })),
    ).not.toContain(MASTER_KEY);
  });

  it("creates a key, shown once, which then serves a chat completion", async () => {
    await page.getByRole("button", { name: "Create key" }).click();
    const form = page.getByRole("form", { name: "create key" });
    await form.getByLabel("Alias").fill(ALIAS);
    await form.getByLabel("Max budget ($)").fill("5");
    await form.getByRole("button", { name: "Create key" }).click();
    createdKey = (await page.getByTestId("new-key").textContent()) ?? "";
    expect(createdKey).toMatch(/^sk-/);
    await docShot("key-created");
    await page.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => page.getByTestId("new-key").count()).toBe(0);
    const row = page.locator(`tr[data-key="${ALIAS}"]`);
    await expect.poll(() => row.textContent()).toContain("active");
    // The list never shows the key again, only its name (a prefix and suffix).
    expect(await page.content()).not.toContain(createdKey);

    const answer = await chat(createdKey);
    expect(answer.status).toBe(200);
    expect(
      ((await answer.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe("Hello from console-upstream");
    await docShot("keys");
  });

  it("shows the key's spend in the chart and its request in the log browser", async () => {
    await open("spend");
    const topSpenders = page.getByRole("table", { name: "top spenders" });
    // The spend log is written in batches (about a second): refresh until the request is in.
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Refresh" }).click();
          return topSpenders.textContent();
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toContain(MODEL);
    await expect.poll(() => page.locator(".chart canvas").count()).toBeGreaterThan(0);
    expect(await page.locator(".chart").getAttribute("aria-label")).toContain(MODEL);
    expect(await topSpenders.locator("tbody tr").first().textContent()).toMatch(/\$0\.\d+/);
    await page.getByLabel("Group by").selectOption("key");
    await expect.poll(() => topSpenders.locator("tbody tr").count()).toBeGreaterThan(0);
    await page.getByLabel("Group by").selectOption("model");
    await docShot("spend");

    await open("logs");
    await page.getByLabel("Key (sk-… or hash)").fill(createdKey);
    await page.getByLabel("Model").fill(MODEL);
    await page.getByRole("button", { name: "Filter" }).click();
    const rows = page.getByRole("table", { name: "requests" }).locator("tbody tr");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain("200");
    await rows.first().getByRole("button").click();
    const detail = page.getByRole("article", { name: "request detail" });
    await expect.poll(() => detail.textContent()).toContain("gpt-up");
    expect(await detail.textContent()).toContain(MODEL);
    await docShot("logs");
  });

  it("blocks the key from the console, and the next request with it is refused", async () => {
    await open("keys");
    const row = page.locator(`tr[data-key="${ALIAS}"]`);
    await row.getByRole("button", { name: "Block" }).click();
    await expect.poll(() => row.textContent()).toContain("blocked");
    const refused = await chat(createdKey);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/blocked/i);
    await row.getByRole("button", { name: "Unblock" }).click();
    await expect.poll(() => row.textContent()).toContain("active");
    expect((await chat(createdKey)).status).toBe(200);
  });

  it("edits a key's limits through the management API and shows its validation errors", async () => {
    const row = page.locator(`tr[data-key="${ALIAS}"]`);
    await row.getByRole("button", { name: "Edit" }).click();
    const form = page.getByRole("form", { name: "edit key" });
    await form.getByLabel("Models (comma separated; empty = all)").fill(MODEL);
    await form.getByLabel("Budget duration").fill("fortnight");
    await form.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => form.getByRole("alert").textContent()).toContain("budget_duration");
    await form.getByLabel("Budget duration").fill("30d");
    await form.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => row.textContent()).toContain(MODEL);
  });

  it("shows the model groups with their deployments' health, and the HA page", async () => {
    await open("models");
    const group = page.getByRole("article", { name: `model group ${MODEL}` });
    await expect.poll(() => group.textContent()).toContain("healthy");
    expect(await group.textContent()).toContain("openai");
    await open("teams");
    await docShot("teams");
    await open("users");
    await docShot("users");
    await open("ha");
    await expect
      .poll(() => page.getByRole("article", { name: "readiness" }).textContent())
      .toContain("ready");
  });

  it("adds, edits and deletes a database model, shows the API's validation error, and keeps file models read-only", async () => {
    await open("models");
    const list = page.getByRole("table", { name: "models" });
    const fileRow = list.locator("tr", { hasText: MODEL });
    await expect.poll(() => fileRow.textContent()).toContain("config file (read-only)");
    expect(await fileRow.getByRole("button").count()).toBe(0);

    await page.getByRole("button", { name: "Add model" }).click();
    const add = page.getByRole("form", { name: "add model" });
    await add.getByLabel("Model name (group)").fill("console-db-model");
    await add.getByLabel("Upstream model").fill("openai/gpt-up");
    await add.getByLabel("API base").fill(`${upstream.url}/v1`);
    await add.getByLabel("API key", { exact: true }).fill("sk-up-db");
    await add.getByLabel("RPM").fill("-5");
    await add.getByRole("button", { name: "Add model" }).click();
    await expect.poll(() => add.getByRole("alert").textContent()).toContain("rpm");
    await add.getByLabel("RPM").fill("60");
    await add.getByRole("button", { name: "Add model" }).click();
    const row = list.locator("tr", { hasText: "console-db-model" });
    await expect.poll(() => row.textContent()).toContain("database");
    expect(await row.textContent()).toContain("60 /");
    // The key is sealed in the database and never shown again.
    expect(await page.content()).not.toContain("sk-up-db");
    await expect
      .poll(() => page.getByRole("article", { name: "model group console-db-model" }).count())
      .toBe(1);
    await docShot("models");

    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "edit model" });
    expect(await edit.getByLabel("RPM").inputValue()).toBe("60");
    await edit.getByLabel("RPM").fill("120");
    const patch = page.waitForRequest((r) => r.method() === "PATCH" && r.url().includes("/update"));
    await edit.getByRole("button", { name: "Save" }).click();
    // Only what was changed goes back: api_base is shown without credentials or query, and writing
    // the shown form back would replace the stored one.
    expect((await patch).postDataJSON()).toEqual({
      model_name: "console-db-model",
      litellm_params: { model: "openai/gpt-up", rpm: 120 },
      model_info: {},
    });
    await expect.poll(() => row.textContent()).toContain("120 /");
    const info = await fetch(`${gateway.url}/model/info`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    const stored = (
      (await info.json()) as { data: { model_name: string; litellm_params: { rpm?: number } }[] }
    ).data;
    expect(stored.find((m) => m.model_name === "console-db-model")?.litellm_params.rpm).toBe(120);

    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => row.count()).toBe(0);
  });

  it("creates, edits, blocks and deletes a team, and creates and deletes a user", async () => {
    await open("teams");
    await page.getByRole("button", { name: "Create team" }).click();
    const create = page.getByRole("form", { name: "create team" });
    await create.getByLabel("Team id (optional)").fill("console-team");
    await create.getByLabel("Alias").fill("Console team");
    await create.getByRole("button", { name: "Create team" }).click();
    const row = page.locator("tr", { hasText: "console-team" });
    await expect.poll(() => row.textContent()).toContain("Console team");
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: "edit team" });
    await edit.getByLabel("Max budget ($)").fill("12");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect.poll(() => row.textContent()).toContain("$12.00");
    await row.getByRole("button", { name: "Block" }).click();
    await expect.poll(() => row.textContent()).toContain("blocked");
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => row.count()).toBe(0);

    await open("users");
    await page.getByRole("button", { name: "Create user" }).click();
    const user = page.getByRole("form", { name: "create user" });
    await user.getByLabel("User id (optional)").fill("console-user");
    await user.getByLabel("Email").fill("ops@example.com");
    await user.getByRole("button", { name: "Create user" }).click();
    const userRow = page.locator("tr", { hasText: "console-user" });
    await expect.poll(() => userRow.textContent()).toContain("ops@example.com");
    page.once("dialog", (dialog) => void dialog.accept());
    await userRow.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => userRow.count()).toBe(0);
  });

  it("is usable at phone width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open("keys");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // A click that lands while the page is still rendering its last change is lost on a loaded
    // machine (CI saw one wait 30 s): the link is clicked again until the page it names opens.
    const spendHeading = page.getByRole("heading", { name: "Spend", exact: true });
    for (let attempt = 1; ; attempt++) {
      await page.getByRole("link", { name: "Spend" }).click();
      const opened = await spendHeading.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      );
      if (opened) break;
      if (attempt === 4) throw new Error("the Spend link did not open the spend page at phone width");
    }
    await docShot("phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("is keyboard navigable: Tab reaches the navigation and Enter follows it", async () => {
    await open("keys");
    // A fresh load: focus starts at the top of the page, not where the last test clicked.
    await page.reload();
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Keys");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Teams", exact: true }).waitFor();
  });

  it("refuses an expired session: the page asks to sign in, the API answers 401", async () => {
    const expired = await mintSession(MASTER_KEY, Date.now() - 1_000);
    const other = await browser.newContext();
    try {
      await other.addCookies([{ name: "routeiq_console", value: expired, url: `${gateway.url}/ui` }]);
      const tab = await other.newPage();
      await tab.goto(`${gateway.url}/ui#/keys`);
      await tab.getByRole("form", { name: "sign in" }).waitFor();
      const answer = await tab.evaluate(async () => {
        const response = await fetch("/ui/api/key/list");
        return { status: response.status, body: await response.text() };
      });
      expect(answer.status).toBe(401);
      expect(answer.body).toContain("expired");
    } finally {
      await other.close();
    }
  });

  it("refuses a cross-site POST, even one carrying the session cookie", async () => {
    const [cookie] = await context.cookies();
    const before = (await await page.evaluate(() => fetch("/ui/api/key/list").then((r) => r.text()))).length;
    // Another site (localhost is not 127.0.0.1 to the browser) posting to the console.
    const elsewhere = gateway.url.replace("127.0.0.1", "localhost");
    const tab = await context.newPage();
    try {
      await tab.goto(`${elsewhere}/_health/live`);
      await tab.evaluate(async (target) => {
        await fetch(`${target}/ui/api/key/generate`, {
          method: "POST",
          mode: "no-cors",
          credentials: "include",
          headers: { "content-type": "text/plain" },
          body: JSON.stringify({ key_alias: "forged" }),
        }).catch(() => undefined);
      }, gateway.url);
    } finally {
      await tab.close();
    }
    // Whatever the browser sends, the gateway refuses a cookie that arrives from another site.
    const crossSite: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site" },
      { origin: "https://evil.example" },
    ];
    for (const headers of crossSite) {
      const forged = await fetch(`${gateway.url}/ui/api/key/generate`, {
        method: "POST",
        headers: {
          ...headers,
          cookie: `routeiq_console=${cookie?.value}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ key_alias: "forged" }),
      });
      expect(forged.status).toBe(403);
      expect(await forged.text()).toContain("cross_site_request");
    }
    const list = await fetch(`${gateway.url}/key/list?key_alias=forged`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    expect(((await list.json()) as { total_count: number }).total_count).toBe(0);
    expect(before).toBeGreaterThan(0);
  });

  it("signs out for good: a copy of the session cookie taken before is refused", async () => {
    const [cookie] = await context.cookies();
    await open("keys");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("form", { name: "sign in" }).waitFor();
    const replay = await fetch(`${gateway.url}/ui/api/key/list`, {
      headers: { cookie: `routeiq_console=${cookie?.value}` },
    });
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain("signed out");
  });

  // Last: it holds this address off sign-in for the rest of the window.
  it("answers the 11th wrong master key from one address with 429 and retry-after", async () => {
    const signIn = (key: string) =>
      fetch(`${gateway.url}/ui/session`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ master_key: key }),
      });
    // The first test sent one wrong key from this address already: nine more make ten.
    for (let i = 1; i < 10; i++) expect((await signIn(`sk-guess-${i}`)).status).toBe(401);
    const limited = await signIn("sk-guess-10");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await signIn(MASTER_KEY)).status).toBe(429);
  });
});
