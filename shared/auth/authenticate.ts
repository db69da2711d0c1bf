import type { MiddlewareHandler } from "hono";
import { forbidden, GatewayError, serviceUnavailable, unauthorized } from "../errors";
import { constantTimeEqual, presentedKey } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import { hashKey, KEY_PREFIX } from "../keys/key-material";
import {
  type KeyContext,
  KeyLookupsBusyError,
  type KeyResolver,
  KeyStoreUnavailableError,
} from "../keys/key-resolver";
import type { VirtualKeyPrincipal } from "./principal";

/** Refusals that belong to the key itself, checked on every request (cached context included). */
function checkKey(context: KeyContext, now: number): void {
  const { key, team } = context;
  if (key.blocked) throw forbidden("key_blocked", "this API key is blocked");
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now) {
    throw new GatewayError({
      status: 401,
      type: "authentication_error",
      code: "key_expired",
      message: `this API key expired at ${key.expiresAt.toISOString()}`,
    });
  }
  if (team?.blocked) throw forbidden("team_blocked", `team "${team.teamId}" is blocked`);
}

/**
 * The virtual key `given` (`sk-...`) names, once checked (not blocked, not expired, its team not
 * blocked); undefined when it names none.
 */
export async function resolveVirtualKey(
  given: string,
  resolver: KeyResolver,
  hash: (key: string) => Promise<string> = hashKey,
): Promise<VirtualKeyPrincipal | undefined> {
  if (!given.startsWith(KEY_PREFIX)) return undefined;
  const keyHash = await hash(given);
  const context = await resolver.resolve(keyHash).catch((error: unknown) => {
    // A key that cannot be checked now (Postgres unreachable and nothing recent cached, or too
    // many unknown keys queued) gets a transient refusal the client may retry, not an internal
    // error (nor a 401 for what may be a valid key).
    if (error instanceof KeyLookupsBusyError) {
      throw serviceUnavailable("cannot check the API key right now: too many key lookups; retry shortly", 1);
    }
    if (!(error instanceof KeyStoreUnavailableError)) throw error;
    // Not logged per request: bogus keys must not turn an outage into a log flood; the resolver
    // logs when lookups start and stop failing.
    throw serviceUnavailable(
      "cannot check the API key right now: the key store is unreachable; retry shortly",
      1,
    );
  });
  if (context === undefined) return undefined;
  checkKey(context, Date.now());
  return { kind: "virtual_key", keyHash, context };
}

/**
 * Authenticates API requests: the master key, or a virtual key (`sk-...`) looked up by its hash.
 * With no master key configured, requests without a valid virtual key are let through (open
 * gateway): OpenAI clients always send some key, and an open gateway must not refuse it.
 */
export const authenticate = (
  masterKey: () => string | undefined,
  resolver: KeyResolver,
  hash: (key: string) => Promise<string> = hashKey,
): MiddlewareHandler<GatewayEnv> =>
  async function authenticate(c, next) {
    const master = masterKey();
    const given = presentedKey(c.req.raw.headers);
    if (given !== undefined && master !== undefined && constantTimeEqual(given, master)) {
      c.set("principal", { kind: "master" });
      return next();
    }
    const virtual = given === undefined ? undefined : await resolveVirtualKey(given, resolver, hash);
    if (virtual !== undefined) {
      c.set("principal", virtual);
      return next();
    }
    if (master === undefined) {
      c.set("principal", { kind: "open" });
      return next();
    }
    if (given === undefined) {
      throw unauthorized("missing API key: send `Authorization: Bearer <key>` (or `x-api-key: <key>`)");
    }
    throw unauthorized("invalid API key");
  };
