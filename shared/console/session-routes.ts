import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { badRequest, forbidden, GatewayError, serviceUnavailable, unauthorized } from "../errors";
import { constantTimeEqual } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import { requestSizeLimit } from "../http/request-size";
import { addressGroup } from "./address-group";
import { sameSiteOnly } from "./same-site";
import { checkSession, mintSession } from "./session";
import {
  countSignInAttempt,
  forgiveSignInAttempt,
  isRevoked,
  revokeSession,
  SIGN_IN_FAILURES_ALLOWED,
} from "./session-guards";

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

/**
 * The shared KV store answers whether a session was signed out and how often a client failed to
 * sign in. Without it neither can be told, so the console refuses rather than guess.
 */
async function fromStore<T>(c: Context<GatewayEnv>, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    c.get("deps").logger.warn("console session store unreachable", { error: String(error) });
    throw serviceUnavailable("the console cannot reach its session store (Redis): try again shortly", 5);
  }
}

/** Tells who is signing in: the client's address as the entry point sees it. */
export type ClientAddress = (c: Context<GatewayEnv>) => string | undefined;

/** The master key and session behind a valid session cookie; refuses a missing, forged, expired or signed-out one. */
export async function consoleSession(
  c: Context<GatewayEnv>,
  now: number,
): Promise<{ masterKey: string; id: string; expiresAt: number }> {
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
  if (await fromStore(c, isRevoked(c.get("deps").kv, session.id))) {
    throw sessionEnded("the console session was signed out: sign in again");
  }
  return { masterKey, id: session.id, expiresAt: session.expiresAt };
}

const tooManyFailures = (resetsInMs: number) => {
  const seconds = Math.max(1, Math.ceil(resetsInMs / 1000));
  return new GatewayError({
    status: 429,
    type: "rate_limit_error",
    code: "console_sign_in_limited",
    message: `too many wrong master keys from this address: try again in ${seconds}s`,
    headers: { "retry-after": String(seconds) },
  });
};

/**
 * Sign-in trades the master key for a short-lived cookie the page's script cannot read
 * (HttpOnly), which no other site's request carries (SameSite=Strict) and which only the console's
 * paths receive.
 */
export function sessionRoutes(now: () => number, clientAddress: ClientAddress): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  // Read before anyone is known to be signed in: a few bytes hold a master key, never more.
  app.use(
    "/ui/session",
    sameSiteOnly(),
    requestSizeLimit(() => SIGN_IN_MAX_BYTES),
  );

  app.post("/ui/session", async (c) => {
    const masterKey = masterKeyOf(c);
    const { kv } = c.get("deps");
    // Only wrong keys count: an operator signing in now and then never meets the limit, a guesser
    // is held to a few tries per window, whatever key it tries next.
    const client = addressGroup(clientAddress(c) ?? "unknown");
    const body = signInSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success)
      throw badRequest("master_key: expected the master key as a non-empty string", "master_key");
    // Counted before the key is compared, and given back when it was right: however many guesses
    // arrive at once, no more than the allowed number are compared per window.
    const attempts = await fromStore(c, countSignInAttempt(kv, client));
    if (attempts.count > SIGN_IN_FAILURES_ALLOWED) throw tooManyFailures(attempts.resetsInMs);
    if (!constantTimeEqual(body.data.master_key, masterKey)) throw unauthorized("invalid master key");
    await fromStore(c, forgiveSignInAttempt(kv, client));
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
    const session = await consoleSession(c, now());
    return c.json({ signed_in: true, expires_at: new Date(session.expiresAt).toISOString() });
  });

  // Signing out revokes the session on every replica, not only the cookie in this browser: a copy
  // of the cookie taken earlier is refused from now on.
  app.delete("/ui/session", async (c) => {
    const masterKey = c.get("deps").config.current().masterKey;
    const token = getCookie(c, SESSION_COOKIE);
    if (masterKey !== undefined && token !== undefined) {
      const session = await checkSession(masterKey, token, now());
      if (session.ok)
        await fromStore(c, revokeSession(c.get("deps").kv, session.id, session.expiresAt, now()));
    }
    deleteCookie(c, SESSION_COOKIE, { path: "/ui" });
    return c.json({ signed_in: false });
  });
  return app;
}
