import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { badRequest, forbidden, GatewayError, unauthorized } from "../errors";
import { constantTimeEqual } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import { requestSizeLimit } from "../http/request-size";
import { sameSiteOnly } from "./same-site";
import { checkSession, mintSession } from "./session";

const SIGN_IN_MAX_BYTES = 8 * 1024;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

export const SESSION_COOKIE = "routeiq_console";
const SESSION_SECONDS = 3600;

const signInSchema = z.strictObject({ master_key: z.string().min(1) });

const masterKeyOf = (c: Context<GatewayEnv>): string => {
  const key = c.get("deps").config.current().masterKey;
  if (key === undefined) {
    throw forbidden(
      "master_key_required",
      "the console needs a master key: set general_settings.master_key or LITELLM_MASTER_KEY",
    );
  }
  return key;
};

const sessionEnded = (message: string) =>
  new GatewayError({ status: 401, type: "authentication_error", code: "console_session", message });

/** The master key behind a valid session cookie; refuses a missing, forged or expired one. */
export async function sessionMasterKey(c: Context<GatewayEnv>, now: number): Promise<string> {
  const masterKey = masterKeyOf(c);
  const token = getCookie(c, SESSION_COOKIE);
  if (token === undefined) throw sessionEnded("not signed in to the console: sign in with the master key");
  const session = await checkSession(masterKey, token, now);
  if (!session.ok) {
    throw sessionEnded(
      session.reason === "expired"
        ? "the console session expired: sign in again"
        : "the console session is not valid (was the master key changed?): sign in again",
    );
  }
  return masterKey;
}

/**
 * Sign-in trades the master key for a short-lived cookie the page's script cannot read
 * (HttpOnly), which no other site's request carries (SameSite=Strict) and which only the console's
 * paths receive.
 */
export function sessionRoutes(now: () => number): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  // Read before anyone is known to be signed in: a few bytes hold a master key, never more.
  app.use(
    "/ui/session",
    sameSiteOnly(),
    requestSizeLimit(() => SIGN_IN_MAX_BYTES),
  );

  app.post("/ui/session", async (c) => {
    const masterKey = masterKeyOf(c);
    const body = signInSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success)
      throw badRequest("master_key: expected the master key as a non-empty string", "master_key");
    if (!constantTimeEqual(body.data.master_key, masterKey)) throw unauthorized("invalid master key");
    const expiresAt = now() + SESSION_SECONDS * 1000;
    setCookie(c, SESSION_COOKIE, await mintSession(masterKey, expiresAt), {
      httpOnly: true,
      sameSite: "Strict",
      path: "/ui",
      maxAge: SESSION_SECONDS,
      // Behind a TLS terminator that does not say so, the cookie must still never travel in clear:
      // only a console opened on loopback itself goes without Secure.
      secure: !LOOPBACK_HOSTS.has(new URL(c.req.url).hostname),
    });
    return c.json({ signed_in: true, expires_at: new Date(expiresAt).toISOString() });
  });

  app.get("/ui/session", async (c) => {
    await sessionMasterKey(c, now());
    const token = getCookie(c, SESSION_COOKIE) as string;
    return c.json({ signed_in: true, expires_at: new Date(Number(token.split(".")[1])).toISOString() });
  });

  app.delete("/ui/session", (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: "/ui" });
    return c.json({ signed_in: false });
  });
  return app;
}
