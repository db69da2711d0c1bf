import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppDeps } from "../deps";
import type { GatewayEnv } from "../http/env";
import { errorHandler } from "../http/error-handler";
import { silentLogger } from "../logging/logger";
import { MemoryKv } from "../store/kv/memory";
import { mapAssets } from "./assets";
import { consoleModule } from "./module";
import { checkSession, mintSession } from "./session";
import { SIGN_IN_FAILURES_ALLOWED, SIGN_IN_WINDOW_MS } from "./session-guards";

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

/**
 * The console module alone, with a stand-in for the gateway that records what it was sent; the
 * client's address is the `x-test-client` header, and the clock is `clock.now`.
 */
function setup({ open = false, built = true } = {}) {
  const settings = { masterKey: open ? undefined : MASTER_KEY };
  const clock = { now: NOW };
  const kv = new MemoryKv({ now: () => clock.now });
  const forwarded: Request[] = [];
  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler(silentLogger));
  app.use(async (c, next) => {
    c.set("deps", { config: { current: () => settings }, kv, logger: silentLogger } as unknown as AppDeps);
    await next();
  });
  const module = consoleModule({
    assets: built ? ASSETS : undefined,
    gateway: (request) => {
      forwarded.push(request);
      return Response.json({ keys: [] });
    },
    clientAddress: (c) => c.req.header("x-test-client"),
    now: () => clock.now,
  });
  app.route("/", module.routes);
  return { app, forwarded, settings, clock, kv };
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
    expect(cookie).toMatch(/^routeiq_console=v2\./);
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

describe("console session revocation and sign-in limits", () => {
  const listKeys = (app: Hono<GatewayEnv>, cookie: string) =>
    app.request("/ui/api/key/list", { headers: { cookie, "sec-fetch-site": "same-origin" } });

  it("refuses a signed-out session on its next call, even from a copy of the cookie", async () => {
    const { app } = setup();
    const cookie = cookieOf(await signIn(app, MASTER_KEY));
    const other = cookieOf(await signIn(app, MASTER_KEY));
    expect((await listKeys(app, cookie)).status).toBe(200);
    const out = await app.request("/ui/session", {
      method: "DELETE",
      headers: { cookie, "sec-fetch-site": "same-origin" },
    });
    expect(out.status).toBe(200);
    const refused = await listKeys(app, cookie);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("signed out");
    expect((await app.request("/ui/session", { headers: { cookie } })).status).toBe(401);
    // Each sign-in is a session of its own: the other one goes on.
    expect((await listKeys(app, other)).status).toBe(200);
  });

  it("refuses every session once the master key is rotated", async () => {
    const { app, settings } = setup();
    const cookie = cookieOf(await signIn(app, MASTER_KEY));
    settings.masterKey = "sk-rotated-master";
    const refused = await listKeys(app, cookie);
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("master key changed");
    expect((await listKeys(app, cookieOf(await signIn(app, "sk-rotated-master")))).status).toBe(200);
  });

  it("answers 429 with retry-after past the allowed wrong keys from one address, and only to it", async () => {
    const { app, clock } = setup();
    const from = { "x-test-client": "203.0.113.7" };
    for (let i = 0; i < SIGN_IN_FAILURES_ALLOWED; i++) {
      expect((await signIn(app, `sk-guess-${i}`, from)).status).toBe(401);
    }
    const limited = await signIn(app, "sk-guess-next", from);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBe(SIGN_IN_WINDOW_MS / 1000);
    expect(await limited.json()).toMatchObject({ error: { code: "console_sign_in_limited" } });
    // Even the right key waits: the guesser cannot tell a hit from a miss.
    expect((await signIn(app, MASTER_KEY, from)).status).toBe(429);
    expect((await signIn(app, MASTER_KEY, { "x-test-client": "198.51.100.1" })).status).toBe(200);
    clock.now += SIGN_IN_WINDOW_MS;
    expect((await signIn(app, MASTER_KEY, from)).status).toBe(200);
  });

  it("compares no more than the allowed guesses when they all arrive at once", async () => {
    const { app } = setup();
    const from = { "x-test-client": "203.0.113.9" };
    const guesses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => signIn(app, `sk-parallel-guess-${i}`, from)),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(SIGN_IN_FAILURES_ALLOWED);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60 - SIGN_IN_FAILURES_ALLOWED);
  });

  it("refuses (503) rather than skip revocation and the limit when the session store is down", async () => {
    const { app, kv } = setup();
    const cookie = cookieOf(await signIn(app, MASTER_KEY));
    await kv.close();
    const call = await listKeys(app, cookie);
    expect(call.status).toBe(503);
    expect(await call.text()).toContain("session store");
    expect((await signIn(app, MASTER_KEY)).status).toBe(503);
  });

  it("does not count right keys or malformed bodies as failures", async () => {
    const { app } = setup();
    const from = { "x-test-client": "203.0.113.8" };
    for (let i = 0; i < SIGN_IN_FAILURES_ALLOWED + 2; i++) {
      expect((await signIn(app, MASTER_KEY, from)).status).toBe(200);
      expect((await signIn(app, "", from)).status).toBe(400);
    }
  });
});

describe("console session tokens", () => {
  it("hold a session id and expiry, signed under a key derived from the master key", async () => {
    const token = await mintSession(MASTER_KEY, NOW + 1000, "AAAAAAAAAAAAAAAAAAAAAA");
    expect(await checkSession(MASTER_KEY, token, NOW)).toEqual({
      ok: true,
      id: "AAAAAAAAAAAAAAAAAAAAAA",
      expiresAt: NOW + 1000,
    });
    // Not an HMAC keyed by the master key itself: whoever learns a derived key learns no master key.
    const [, id, expiry, signature] = token.split(".");
    const raw = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(MASTER_KEY),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const direct = Buffer.from(
      await crypto.subtle.sign("HMAC", raw, new TextEncoder().encode(`${id}.${expiry}`)),
    ).toString("base64url");
    expect(signature).not.toBe(direct);
    expect(await checkSession(MASTER_KEY, token, NOW + 1000)).toEqual({ ok: false, reason: "expired" });
    expect(await checkSession("sk-rotated", token, NOW)).toEqual({ ok: false, reason: "invalid" });
    const tampered = token.replace(String(NOW + 1000), String(NOW + 10_000_000));
    expect(await checkSession(MASTER_KEY, tampered, NOW)).toEqual({ ok: false, reason: "invalid" });
    const otherId = token.replace("AAAAAAAAAAAAAAAAAAAAAA", "BAAAAAAAAAAAAAAAAAAAAA");
    expect(await checkSession(MASTER_KEY, otherId, NOW)).toEqual({ ok: false, reason: "invalid" });
  });
});
