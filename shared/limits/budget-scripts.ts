import type { KvScript, MemoryView } from "../store/kv/script";

/**
 * Budgets across replicas: each subject has a live spend counter for its budget window (seeded
 * from Postgres when missing) and a sum of reservations for requests in flight.
 *
 * RESERVE — KEYS: per subject [spend, reserved]. ARGV: n, estimate, ttlMs, then per subject
 * [maxBudget, seedSpend]. A request is admitted only while spend + reserved < max_budget for
 * every subject, and then reserves its estimated cost. Concurrent requests therefore see each
 * other's reservations, so together they overshoot a budget by at most one request's cost.
 * Reply: {1} admitted or {0, subjectIndex, spendPlusReserved}.
 */
const RESERVE_LUA = `
local n = tonumber(ARGV[1])
local estimate = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
for i = 0, n - 1 do
  local spendKey = KEYS[1 + i * 2]
  local spend = redis.call('GET', spendKey)
  if not spend then
    spend = ARGV[5 + i * 2]
    redis.call('SET', spendKey, spend, 'PX', ttl)
  end
  local committed = tonumber(spend) + tonumber(redis.call('GET', KEYS[2 + i * 2]) or '0')
  if committed >= tonumber(ARGV[4 + i * 2]) then
    return { 0, i, tostring(committed) }
  end
end
for i = 0, n - 1 do
  redis.call('INCRBYFLOAT', KEYS[2 + i * 2], estimate)
  redis.call('PEXPIRE', KEYS[2 + i * 2], ttl)
end
return { 1 }
`;

export type ReserveReply = { admitted: true } | { admitted: false; subject: number; committed: number };

const num = (view: MemoryView, key: string): number => Number(view.get(key) ?? "0");

export const reserveScript: KvScript<ReserveReply> = Object.freeze<KvScript<ReserveReply>>({
  name: "routeiq_budget_reserve",
  lua: RESERVE_LUA,
  parse(reply: unknown): ReserveReply {
    const [ok, subject, committed] = reply as [number, number?, string?];
    return ok === 1
      ? { admitted: true }
      : { admitted: false, subject: subject ?? 0, committed: Number(committed) };
  },
  memory(view, keys, args) {
    const n = Number(args[0]);
    const estimate = Number(args[1]);
    const ttl = Number(args[2]);
    for (let i = 0; i < n; i++) {
      const spendKey = keys[i * 2] as string;
      if (view.get(spendKey) === null) view.set(spendKey, args[4 + i * 2] as string, ttl);
      const committed = num(view, spendKey) + num(view, keys[i * 2 + 1] as string);
      if (committed >= Number(args[3 + i * 2])) return [0, i, String(committed)];
    }
    for (let i = 0; i < n; i++) {
      const reservedKey = keys[i * 2 + 1] as string;
      view.set(reservedKey, String(num(view, reservedKey) + estimate), ttl);
    }
    return [1];
  },
});

/**
 * SETTLE — the request ended. KEYS: per subject [spend, reserved]. ARGV: n, estimate, actual.
 * Releases the reservation and adds the actual cost to the live spend.
 */
const SETTLE_LUA = `
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  if redis.call('EXISTS', KEYS[2 + i * 2]) == 1 then
    redis.call('INCRBYFLOAT', KEYS[2 + i * 2], -tonumber(ARGV[2]))
  end
  if redis.call('EXISTS', KEYS[1 + i * 2]) == 1 then
    redis.call('INCRBYFLOAT', KEYS[1 + i * 2], ARGV[3])
  end
end
return 1
`;

export const settleScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_budget_settle",
  lua: SETTLE_LUA,
  parse: () => undefined,
  memory(view, keys, args) {
    const n = Number(args[0]);
    for (let i = 0; i < n; i++) {
      for (const [key, delta] of [
        [keys[i * 2 + 1] as string, -Number(args[1])],
        [keys[i * 2] as string, Number(args[2])],
      ] as const) {
        if (view.get(key) === null) continue;
        const ttl = view.pttl(key);
        view.set(key, String(num(view, key) + delta), ttl > 0 ? ttl : undefined);
      }
    }
    return 1;
  },
});
