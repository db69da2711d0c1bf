import type { MiddlewareHandler } from "hono";
import type { VirtualKeyPrincipal } from "../auth/principal";
import { forbidden, unauthorized } from "../errors";
import type { GatewayEnv } from "./env";

const encoder = new TextEncoder();

/** Compares in time that depends only on the length of `expected`, so a key cannot be guessed byte by byte. */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ (b[i] as number);
  return diff === 0;
}

/** The key a client presented: `Authorization: Bearer <key>`, or `x-api-key` as Anthropic clients send it. */
export function presentedKey(headers: Headers): string | undefined {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1];
  }
  return headers.get("x-api-key") ?? undefined;
}

/**
 * Requires the master key when one is configured. With none configured the gateway is open
 * (the entry point warns loudly at start).
 */
export const masterKeyAuth = (masterKey: () => string | undefined): MiddlewareHandler =>
  async function masterKeyAuth(c, next) {
    const expected = masterKey();
    if (expected !== undefined) {
      const given = presentedKey(c.req.raw.headers);
      if (given === undefined) {
        throw unauthorized("missing API key: send `Authorization: Bearer <key>` (or `x-api-key: <key>`)");
      }
      if (!constantTimeEqual(given, expected)) throw unauthorized("invalid API key");
    }
    await next();
  };

/** Resolves a presented key to the virtual key it names (checked), or undefined. */
export type VirtualKeyLookup = (key: string) => Promise<VirtualKeyPrincipal | undefined>;

export interface AdminAuthOptions {
  readonly masterKey: () => string | undefined;
  readonly virtualKey: VirtualKeyLookup;
  /** `METHOD /path` of the routes a virtual key may call about itself (its own `/key/info`). */
  readonly selfService: readonly string[];
}

/**
 * The management API (keys, teams, users, spend) needs the master key: with none configured it is
 * refused outright, since an open gateway must not let anyone mint keys. A virtual key is told so
 * (403, not "invalid API key"), except on the few routes that answer a key about itself.
 */
export const adminAuth = ({
  masterKey,
  virtualKey,
  selfService,
}: AdminAuthOptions): MiddlewareHandler<GatewayEnv> =>
  async function adminAuth(c, next) {
    const expected = masterKey();
    if (expected === undefined) {
      throw forbidden(
        "master_key_required",
        "the management API needs a master key: set general_settings.master_key or LITELLM_MASTER_KEY",
      );
    }
    const given = presentedKey(c.req.raw.headers);
    if (given === undefined) {
      throw unauthorized("missing API key: send `Authorization: Bearer <key>` (or `x-api-key: <key>`)");
    }
    if (constantTimeEqual(given, expected)) {
      c.set("principal", { kind: "master" });
      return next();
    }
    const principal = await virtualKey(given);
    if (principal === undefined) throw unauthorized("invalid API key");
    if (!selfService.includes(`${c.req.method} ${c.req.path}`)) {
      throw forbidden(
        "master_key_required",
        `this route needs the master key; a virtual key may call only ${selfService.join(", ")} about itself`,
      );
    }
    c.set("principal", principal);
    return next();
  };
