import type { KvScript, MemoryView } from "../store/kv/script";

/**
 * Fixed windows that start at a subject's first request (INCR, then PEXPIRE on the first
 * increment): no clock is read at all, so replicas with skewed clocks count alike.
 *
 * ADMIT — KEYS: per subject [rpm, tpm, parallel]. ARGV: n, windowMs, parallelTtlMs, then per
 * subject [rpmLimit, tpmLimit, parallelLimit] (0 = no limit). Checks every subject first and only
 * then counts the request, so a refusal consumes nothing.
 * Reply: {1} admitted, or {0, subjectIndex, which (1 rpm, 2 tpm, 3 parallel), retryAfterMs}.
 */
const ADMIT_LUA = `
local n = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local parallelTtl = tonumber(ARGV[3])
for i = 0, n - 1 do
  local limits = { tonumber(ARGV[4 + i * 3]), tonumber(ARGV[5 + i * 3]), tonumber(ARGV[6 + i * 3]) }
  for which = 1, 3 do
    local key = KEYS[1 + i * 3 + which - 1]
    if limits[which] > 0 and tonumber(redis.call('GET', key) or '0') >= limits[which] then
      local ttl = 1000
      if which < 3 then ttl = redis.call('PTTL', key) end
      return { 0, i, which, ttl }
    end
  end
end
for i = 0, n - 1 do
  local rpmLimit = tonumber(ARGV[4 + i * 3])
  local parallelLimit = tonumber(ARGV[6 + i * 3])
  if rpmLimit > 0 and redis.call('INCR', KEYS[1 + i * 3]) == 1 then
    redis.call('PEXPIRE', KEYS[1 + i * 3], windowMs)
  end
  if parallelLimit > 0 then
    redis.call('INCR', KEYS[3 + i * 3])
    redis.call('PEXPIRE', KEYS[3 + i * 3], parallelTtl)
  end
end
return { 1 }
`;

export type AdmitReply =
  | { admitted: true }
  | { admitted: false; subject: number; which: 1 | 2 | 3; retryAfterMs: number };

const num = (view: MemoryView, key: string): number => Number(view.get(key) ?? "0");

/** INCRBY twin: keeps the key's expiry; a key it creates gets `ttlIfNew`. */
function incrBy(view: MemoryView, key: string, by: number, ttlIfNew: number | undefined): number {
  const existed = view.get(key) !== null;
  const ttl = view.pttl(key);
  const value = num(view, key) + by;
  view.set(key, String(value), existed ? (ttl > 0 ? ttl : undefined) : ttlIfNew);
  return value;
}

export const admitScript: KvScript<AdmitReply> = Object.freeze<KvScript<AdmitReply>>({
  name: "routeiq_admit",
  lua: ADMIT_LUA,
  parse(reply: unknown): AdmitReply {
    const [ok, subject, which, ttl] = reply as number[];
    if (ok === 1) return { admitted: true };
    return {
      admitted: false,
      subject: subject ?? 0,
      which: (which ?? 1) as 1 | 2 | 3,
      retryAfterMs: Math.max(0, ttl ?? 1000),
    };
  },
  memory(view, keys, args) {
    const n = Number(args[0]);
    const windowMs = Number(args[1]);
    const parallelTtl = Number(args[2]);
    const limit = (i: number, which: number) => Number(args[3 + i * 3 + which - 1]);
    for (let i = 0; i < n; i++) {
      for (let which = 1; which <= 3; which++) {
        const key = keys[i * 3 + which - 1] as string;
        if (limit(i, which) > 0 && num(view, key) >= limit(i, which)) {
          return [0, i, which, which < 3 ? view.pttl(key) : 1000];
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const rpmKey = keys[i * 3] as string;
      const parallelKey = keys[i * 3 + 2] as string;
      if (limit(i, 1) > 0) incrBy(view, rpmKey, 1, windowMs);
      if (limit(i, 3) > 0) {
        incrBy(view, parallelKey, 1, undefined);
        view.pexpire(parallelKey, parallelTtl);
      }
    }
    return [1];
  },
});

/**
 * RELEASE — a request ended. KEYS: per subject [tpm, parallel]. ARGV: n, windowMs, tokens, then
 * per subject [countTokens (0/1), releaseParallel (0/1)].
 */
const RELEASE_LUA = `
local n = tonumber(ARGV[1])
local windowMs = tonumber(ARGV[2])
local tokens = tonumber(ARGV[3])
for i = 0, n - 1 do
  if tonumber(ARGV[4 + i * 2]) == 1 and tokens > 0 then
    if redis.call('INCRBY', KEYS[1 + i * 2], tokens) == tokens then
      redis.call('PEXPIRE', KEYS[1 + i * 2], windowMs)
    end
  end
  if tonumber(ARGV[5 + i * 2]) == 1 and tonumber(redis.call('GET', KEYS[2 + i * 2]) or '0') > 0 then
    redis.call('DECR', KEYS[2 + i * 2])
  end
end
return 1
`;

export const releaseScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_release",
  lua: RELEASE_LUA,
  parse: () => undefined,
  memory(view, keys, args) {
    const n = Number(args[0]);
    const windowMs = Number(args[1]);
    const tokens = Number(args[2]);
    for (let i = 0; i < n; i++) {
      const tpmKey = keys[i * 2] as string;
      const parallelKey = keys[i * 2 + 1] as string;
      if (args[3 + i * 2] === "1" && tokens > 0) incrBy(view, tpmKey, tokens, windowMs);
      if (args[4 + i * 2] === "1" && num(view, parallelKey) > 0) incrBy(view, parallelKey, -1, undefined);
    }
    return 1;
  },
});
