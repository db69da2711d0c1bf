import type { KvScript, MemoryView } from "../store/kv/script";

/**
 * Limits and budgets for one request in one round trip each way, atomic across replicas.
 *
 * Budgets: each subject has a live spend counter for its budget window (seeded from Postgres when
 * missing) and a sum of reservations for requests in flight. A request is admitted only while
 * spend + reserved < max_budget, then reserves its estimated cost: concurrent requests see each
 * other's reservations, so together they overshoot a budget by at most one request's cost.
 *
 * Rate limits: fixed windows that start at a subject's first request (INCR, then PEXPIRE on the
 * first increment), so no clock is read and replicas with skewed clocks count alike.
 *
 * Everything is checked before anything is counted, so a refusal consumes nothing.
 *
 * ADMIT — KEYS: per budgeted subject [spend, reserved], then per limited subject [rpm, tpm, parallel].
 * ARGV: nBudget, nRate, estimate, budgetTtlMs, windowMs, parallelTtlMs, then per budgeted subject
 * [maxBudget, seedSpend], then per limited subject [rpmLimit, tpmLimit, parallelLimit] (0 = none).
 * Reply: {1}; {0, 1, subject, committedSpend} for a budget; {0, 2, subject, which, retryAfterMs}
 * for a rate limit (which: 1 rpm, 2 tpm, 3 parallel).
 */
const ADMIT_LUA = `
local nb = tonumber(ARGV[1])
local nr = tonumber(ARGV[2])
local estimate = tonumber(ARGV[3])
local budgetTtl = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])
local parallelTtl = tonumber(ARGV[6])
local rk = nb * 2
local ra = 6 + nb * 2
for i = 0, nb - 1 do
  local spendKey = KEYS[1 + i * 2]
  local spend = redis.call('GET', spendKey)
  if not spend then
    spend = ARGV[8 + i * 2]
    redis.call('SET', spendKey, spend, 'PX', budgetTtl)
  end
  local committed = tonumber(spend) + tonumber(redis.call('GET', KEYS[2 + i * 2]) or '0')
  if committed >= tonumber(ARGV[7 + i * 2]) then
    return { 0, 1, i, tostring(committed) }
  end
end
for i = 0, nr - 1 do
  for which = 1, 3 do
    local limit = tonumber(ARGV[ra + i * 3 + which])
    local key = KEYS[rk + i * 3 + which]
    if limit > 0 and tonumber(redis.call('GET', key) or '0') >= limit then
      local ttl = 1000
      if which < 3 then ttl = redis.call('PTTL', key) end
      return { 0, 2, i, which, ttl }
    end
  end
end
for i = 0, nb - 1 do
  redis.call('INCRBYFLOAT', KEYS[2 + i * 2], estimate)
  redis.call('PEXPIRE', KEYS[2 + i * 2], budgetTtl)
end
for i = 0, nr - 1 do
  if tonumber(ARGV[ra + i * 3 + 1]) > 0 and redis.call('INCR', KEYS[rk + i * 3 + 1]) == 1 then
    redis.call('PEXPIRE', KEYS[rk + i * 3 + 1], windowMs)
  end
  if tonumber(ARGV[ra + i * 3 + 3]) > 0 then
    redis.call('INCR', KEYS[rk + i * 3 + 3])
    redis.call('PEXPIRE', KEYS[rk + i * 3 + 3], parallelTtl)
  end
end
return { 1 }
`;

export type AdmitReply =
  | { readonly admitted: true }
  | {
      readonly admitted: false;
      readonly kind: "budget";
      readonly subject: number;
      readonly committed: number;
    }
  | {
      readonly admitted: false;
      readonly kind: "rate";
      readonly subject: number;
      readonly which: 1 | 2 | 3;
      readonly retryAfterMs: number;
    };

const num = (view: MemoryView, key: string): number => Number(view.get(key) ?? "0");

/** INCRBY(FLOAT) twin: keeps the key's expiry; a key it creates gets `ttlIfNew`. */
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
    const [ok, kind, subject, detail, ttl] = reply as [number, number?, number?, (number | string)?, number?];
    if (ok === 1) return { admitted: true };
    if (kind === 1)
      return { admitted: false, kind: "budget", subject: subject ?? 0, committed: Number(detail) };
    return {
      admitted: false,
      kind: "rate",
      subject: subject ?? 0,
      which: Number(detail) as 1 | 2 | 3,
      retryAfterMs: Math.max(0, ttl ?? 1000),
    };
  },
  memory(view, keys, args) {
    const [nb, nr, estimate, budgetTtl, windowMs, parallelTtl] = args.slice(0, 6).map(Number) as number[];
    const rk = (nb as number) * 2;
    const ra = 6 + (nb as number) * 2;
    const rateLimit = (i: number, which: number) => Number(args[ra + i * 3 + which - 1]);
    const rateKey = (i: number, which: number) => keys[rk + i * 3 + which - 1] as string;
    for (let i = 0; i < (nb as number); i++) {
      const spendKey = keys[i * 2] as string;
      if (view.get(spendKey) === null) view.set(spendKey, args[7 + i * 2] as string, budgetTtl);
      const committed = num(view, spendKey) + num(view, keys[i * 2 + 1] as string);
      if (committed >= Number(args[6 + i * 2])) return [0, 1, i, String(committed)];
    }
    for (let i = 0; i < (nr as number); i++) {
      for (let which = 1; which <= 3; which++) {
        if (rateLimit(i, which) > 0 && num(view, rateKey(i, which)) >= rateLimit(i, which)) {
          return [0, 2, i, which, which < 3 ? view.pttl(rateKey(i, which)) : 1000];
        }
      }
    }
    for (let i = 0; i < (nb as number); i++) {
      const reservedKey = keys[i * 2 + 1] as string;
      incrBy(view, reservedKey, estimate as number, undefined);
      view.pexpire(reservedKey, budgetTtl as number);
    }
    for (let i = 0; i < (nr as number); i++) {
      if (rateLimit(i, 1) > 0) incrBy(view, rateKey(i, 1), 1, windowMs);
      if (rateLimit(i, 3) > 0) {
        incrBy(view, rateKey(i, 3), 1, undefined);
        view.pexpire(rateKey(i, 3), parallelTtl as number);
      }
    }
    return [1];
  },
});

/**
 * FINISH — the request ended. KEYS: per budgeted subject [spend, reserved], then per limited
 * subject [tpm, parallel]. ARGV: nBudget, nRate, estimate, actualCost, windowMs, tokens, then per
 * limited subject [countTokens (0/1), releaseParallel (0/1)]. Releases the reservation and adds
 * the real cost, counts the tokens, frees the parallel slot.
 */
const FINISH_LUA = `
local nb = tonumber(ARGV[1])
local nr = tonumber(ARGV[2])
local windowMs = tonumber(ARGV[5])
local tokens = tonumber(ARGV[6])
for i = 0, nb - 1 do
  if redis.call('EXISTS', KEYS[2 + i * 2]) == 1 then
    redis.call('INCRBYFLOAT', KEYS[2 + i * 2], -tonumber(ARGV[3]))
  end
  if redis.call('EXISTS', KEYS[1 + i * 2]) == 1 then
    redis.call('INCRBYFLOAT', KEYS[1 + i * 2], ARGV[4])
  end
end
local rk = nb * 2
for i = 0, nr - 1 do
  if tonumber(ARGV[7 + i * 2]) == 1 and tokens > 0 then
    if redis.call('INCRBY', KEYS[rk + 1 + i * 2], tokens) == tokens then
      redis.call('PEXPIRE', KEYS[rk + 1 + i * 2], windowMs)
    end
  end
  if tonumber(ARGV[8 + i * 2]) == 1 and tonumber(redis.call('GET', KEYS[rk + 2 + i * 2]) or '0') > 0 then
    redis.call('DECR', KEYS[rk + 2 + i * 2])
  end
end
return 1
`;

export const finishScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_finish",
  lua: FINISH_LUA,
  parse: () => undefined,
  memory(view, keys, args) {
    const [nb, nr, estimate, actual, windowMs, tokens] = args.slice(0, 6).map(Number) as number[];
    for (let i = 0; i < (nb as number); i++) {
      const reservedKey = keys[i * 2 + 1] as string;
      const spendKey = keys[i * 2] as string;
      if (view.get(reservedKey) !== null) incrBy(view, reservedKey, -(estimate as number), undefined);
      if (view.get(spendKey) !== null) incrBy(view, spendKey, actual as number, undefined);
    }
    const rk = (nb as number) * 2;
    for (let i = 0; i < (nr as number); i++) {
      const tpmKey = keys[rk + i * 2] as string;
      const parallelKey = keys[rk + i * 2 + 1] as string;
      if (args[6 + i * 2] === "1" && (tokens as number) > 0) incrBy(view, tpmKey, tokens as number, windowMs);
      if (args[7 + i * 2] === "1" && num(view, parallelKey) > 0) incrBy(view, parallelKey, -1, undefined);
    }
    return 1;
  },
});
