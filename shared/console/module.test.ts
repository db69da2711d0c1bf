import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppDeps } from "../deps";
import type { GatewayEnv } from "../http/env";
import { errorHandler } from "../http/error-handler";
import { silentLogger } from "../logging/logger";
import { mapAssets } from "./assets";
import { consoleModule } from "./module";
import { checkSession, mintSession } from "./session";

const MASTER_KEY = "sk-console-master";
const NOW = Date.parse("2030-01-01T00:00:00Z");
const ASSETS = mapAssets(
  new Map([
    [
      "index.html",
      { body: new TextEncoder().encode("<!doctype html>"), contentType: "text/html", immutable: false },
    ],
    [
      "app-ABCDEFGH.js",
      { body: new TextEncoder().encode("void 0"), contentType: "text/javascript", immutable: true },
    ],
  ]),
);

/** The console module alone, with a stand-in for the gateway that records what it was sent. */
function setup({ open = false, built = true } = {}) {
  const masterKey = open ? undefined : MASTER_KEY;
  const forwarded: Request[] = [];
  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler(silentLogger));
  app.use(async (c, next) => {
    c.set("deps", { config: { current: () => ({ masterKey }) } } as unknown as AppDeps);
    await next();
  });
  const module = consoleModule({
    assets: built ? ASSETS : undefined,
    gateway: (request) => {
      forwarded.push(request);
      return Response.json({ keys: [] });
    },
    now: () => NOW,
  });
  app.route("/", module.routes);
  return { app, forwarded };
}

const signIn = (app: Hono<GatewayEnv>, key: string, headers: Record<string, string> = {}) =>
  app.request("/ui/session", {
    method: "POST",
    headers: { "content-type": "application/json", "sec-fetch-site": "same-origin", ...headers },
    body: JSON.stringify({ master_key: key }),
  });

const cookieOf = (response: Response) => response.headers.get("set-cookie")?.split(";")[0] ?? "";

describe("console assets", () => {
  it("serves the page revalidated and hashed assets for good, both under a strict CSP", async () => {
    const { app } = setup();
    const page = await app.request("/ui");
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'; script-src 'self'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const script = await app.request("/ui/assets/app-ABCDEFGH.js");
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(script.headers.get("content-type")).toBe("text/javascript");
    expect((await app.request("/ui/assets/other.js")).status).toBe(404);
  });

  it("says how to build the console when it was not built", async () => {
    const { app } = setup({ built: false });
    const answer = await app.request("/ui");
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ error: { code: "console_not_built" } });
  });
});

describe("console sign-in", () => {
  it("reads no more than a few kilobytes before anyone has signed in", async () => {
    const { app } = setup();
    const answer = await app.request("/ui/session", {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ master_key: "x".repeat(64 * 1024) }),
    });
    expect(answer.status).toBe(413);
  });

  it("marks the cookie Secure unless the console is opened on loopback itself", async () => {
    const { app } = setup();
    const remote = await app.request("http://gateway.internal/ui/session", {
      method: "POST",
      headers: { "content-type": "application/json", "sec-fetch-site": "same-origin" },
      body: JSON.stringify({ master_key: MASTER_KEY }),
    });
    expect(remote.headers.get("set-cookie")).toContain("Secure");
    const local = await signIn(app, MASTER_KEY);
    expect(local.status).toBe(200);
    expect(local.headers.get("set-cookie")).not.toContain("Secure");
  });

  it("trades the master key for an HttpOnly, SameSite=Strict cookie on /ui that does not hold the key", async () => {
    const { app } = setup();
    const answer = await signIn(app, MASTER_KEY);
    expect(answer.status).toBe(200);
    const cookie = answer.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^routeiq_console=v1\./);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/ui");
    expect(cookie).toContain("Max-Age=3600");
    expect(cookie).not.toContain(MASTER_KEY);
  });

  it("refuses a wrong key, a cross-site sign-in, and any sign-in when no master key is set", async () => {
    expect((await signIn(setup().app, "sk-wrong")).status).toBe(401);
    const crossSite = await signIn(setup().app, MASTER_KEY, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get("set-cookie")).toBeNull();
    const open = await signIn(setup({ open: true }).app, "anything");
    expect(open.status).toBe(403);
    expect(await open.json()).toMatchObject({ error: { code: "master_key_required" } });
  });
});

describe("console API", () => {
  it("calls the management API with the master key the session stands for, and nothing of the browser's", async () => {
    const { app, forwarded } = setup();
    const cookie = cookieOf(await signIn(app, MASTER_KEY));
    const answer = await app.request("/ui/api/key/list?page=2", {
      headers: { cookie, "sec-fetch-site": "same-origin", "x-api-key": "sk-other" },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    const [request] = forwarded;
    expect(new URL(request?.url ?? "").pathname + new URL(request?.url ?? "").search).toBe(
      "/key/list?page=2",
    );
    expect(request?.headers.get("authorization")).toBe(`Bearer ${MASTER_KEY}`);
    expect(request?.headers.get("cookie")).toBeNull();
    expect(request?.headers.get("x-api-key")).toBeNull();
  });

  it("refuses without a session, with an expired or forged one, and cross-site even with a valid one", async () => {
    const { app, forwarded } = setup();
    const valid = cookieOf(await signIn(app, MASTER_KEY));
    const expired = `routeiq_console=${await mintSession(MASTER_KEY, NOW - 1)}`;
    const forged = `routeiq_console=${await mintSession("sk-someone-else", NOW + 60_000)}`;
    expect((await app.request("/ui/api/key/list")).status).toBe(401);
    const stale = await app.request("/ui/api/key/list", { headers: { cookie: expired } });
    expect(stale.status).toBe(401);
    expect(await stale.text()).toContain("expired");
    expect((await app.request("/ui/api/key/list", { headers: { cookie: forged } })).status).toBe(401);
    const crossSite: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "https://evil.example" },
    ];
    for (const headers of crossSite) {
      const answer = await app.request("/ui/api/key/generate", {
        method: "POST",
        headers: { cookie: valid, ...headers },
      });
      expect(answer.status).toBe(403);
    }
    expect(forwarded).toHaveLength(0);
  });

  it("reaches only the management and status routes, not the model API", async () => {
    const { app, forwarded } = setup();
    const cookie = cookieOf(await signIn(app, MASTER_KEY));
    for (const path of ["/v1/chat/completions", "/metrics", "/ui/session", "/key/../v1/models"]) {
      const answer = await app.request(`/ui/api${path}`, { method: "POST", headers: { cookie } });
      expect(answer.status, path).toBe(404);
    }
    expect(forwarded).toHaveLength(0);
  });
});

describe("console session tokens", () => {
  it("hold only their expiry, signed with the master key", async () => {
    const token = await mintSession(MASTER_KEY, NOW + 1000);
    expect(await checkSession(MASTER_KEY, token, NOW)).toEqual({ ok: true, expiresAt: NOW + 1000 });
    expect(await checkSession(MASTER_KEY, token, NOW + 1000)).toEqual({ ok: false, reason: "expired" });
    expect(await checkSession("sk-rotated", token, NOW)).toEqual({ ok: false, reason: "invalid" });
    const tampered = token.replace(String(NOW + 1000), String(NOW + 10_000_000));
    expect(await checkSession(MASTER_KEY, tampered, NOW)).toEqual({ ok: false, reason: "invalid" });
  });
});
