import type { Kv } from "../store/kv/port";
import type { KvScript } from "../store/kv/script";

/**
 * What the console keeps in the KV store, shared by every replica: the ids of sessions signed out
 * before their expiry, and failed sign-ins per client address.
 */

const revokedKey = (id: string) => `console:revoked:${id}`;
const failuresKey = (client: string) => `console:sign-in-failures:${client}`;

/** Wrong master keys a client address may send per window before sign-in refuses it (429). */
export const SIGN_IN_FAILURES_ALLOWED = 10;
export const SIGN_IN_WINDOW_MS = 15 * 60_000;

/** Remembers `id` as signed out until it would have expired anyway. */
export async function revokeSession(kv: Kv, id: string, expiresAt: number, now: number): Promise<void> {
  if (expiresAt > now) await kv.set(revokedKey(id), "1", expiresAt - now);
}

export async function isRevoked(kv: Kv, id: string): Promise<boolean> {
  return (await kv.get(revokedKey(id))) !== null;
}

/** A client's counted sign-in attempts in its current window and the ms until the window ends. */
export interface Attempts {
  readonly count: number;
  readonly resetsInMs: number;
}

const parseAttempts = (reply: unknown): Attempts => {
  const [count, ttl] = reply as [number, number];
  return { count: Number(count), resetsInMs: Math.max(0, Number(ttl)) };
};

/**
 * KEYS[1]: a client's attempt counter; ARGV[1]: the window in ms. Counts one more sign-in attempt
 * before its key is compared, so concurrent guesses cannot all pass a check made before any of them
 * was counted; the window starts at the first and is not pushed back by later ones. Replies the
 * count and the ms left.
 */
const attemptScript: KvScript<Attempts> = Object.freeze<KvScript<Attempts>>({
  name: "console_sign_in_attempt",
  lua: `
local count = redis.call("INCR", KEYS[1])
if redis.call("PTTL", KEYS[1]) < 0 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
return {count, redis.call("PTTL", KEYS[1])}
`,
  parse: parseAttempts,
  memory(view, keys, args) {
    const key = keys[0] as string;
    const left = view.pttl(key);
    const ttl = left > 0 ? left : Number(args[0]);
    const count = Number(view.get(key) ?? 0) + 1;
    view.set(key, String(count), ttl);
    return [count, ttl];
  },
});

/** KEYS[1]: a client's attempt counter. Takes back one attempt (a right key); the window stays. */
const forgiveScript: KvScript<Attempts> = Object.freeze<KvScript<Attempts>>({
  name: "console_sign_in_forgive",
  lua: `
local count = tonumber(redis.call("GET", KEYS[1]) or "0")
local ttl = redis.call("PTTL", KEYS[1])
if count > 0 and ttl > 0 then
  count = redis.call("DECR", KEYS[1])
else
  ttl = 0
end
return {count, ttl}
`,
  parse: parseAttempts,
  memory(view, keys) {
    const key = keys[0] as string;
    const count = Number(view.get(key) ?? 0);
    const ttl = view.pttl(key);
    if (count <= 0 || ttl <= 0) return [count, 0];
    view.set(key, String(count - 1), ttl);
    return [count - 1, ttl];
  },
});

/** Counts a sign-in attempt from `client`: past SIGN_IN_FAILURES_ALLOWED in a window it is refused. */
export const countSignInAttempt = (kv: Kv, client: string): Promise<Attempts> =>
  kv.run(attemptScript, [failuresKey(client)], [SIGN_IN_WINDOW_MS]);

/** A sign-in with the right key: its attempt does not count against the client. */
export const forgiveSignInAttempt = (kv: Kv, client: string): Promise<Attempts> =>
  kv.run(forgiveScript, [failuresKey(client)], []);
