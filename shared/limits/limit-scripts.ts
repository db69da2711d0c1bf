import type { KvScript, MemoryView } from "../store/kv/script";

/** One request's hold given back: its reservation leaves the sums, its entry the in-flight set. */
const RELEASE_LUA = `
local function release(state, inFlight, held, rid)
  local r = redis.call('HGET', held, rid)
  if r then
    local c, t = string.match(r, '^(%S+) (%S+)$')
    redis.call('HINCRBYFLOAT', state, 'rs', 0 - tonumber(c))
    redis.call('HINCRBY', state, 'rt', 0 - tonumber(t))
    redis.call('HDEL', held, rid)
  end
  redis.call('ZREM', inFlight, rid)
end
`;

/**
 * Limits and budgets for one request in one round trip each way, atomic across replicas.
 *
 * Each subject (a key, team or user) has its own state, so one subject's windows never shorten
 * another's. In Redis that is three keys, none of which expires (an eviction policy of
 * `volatile-*` can then never drop them; see the README):
 *
 * - `<base>` hash: `bw`/`bs` the budget window and its live spend, `rs`/`rt` the cost and tokens
 *   reserved by requests in flight, `rw`/`rc` the rpm window start and count, `tw`/`tc` the tpm
 *   window start and the tokens used in it;
 * - `<base>:fl` sorted set: the requests in flight, scored by the time their hold expires;
 * - `<base>:fr` hash: each request in flight's reservation, "cost tokens".
 *
 * A request in flight holds its reservation and its parallel slot until it finishes or its hold
 * expires, whichever comes first, each request on its own: what a killed replica held is freed
 * when that request's hold runs out, however busy the subject stays.
 *
 * Budgets: a request is admitted while live spend + reservations < max_budget, then reserves its
 * worst-case cost; concurrent requests see each other's reservations, so together they overshoot
 * by at most one request's reservation (when no request costs more than it reserved). The live
 * spend is the larger of the counter and Postgres's figure, so a counter that was lost is re-seeded
 * and spend written elsewhere is seen, and nothing is counted twice.
 *
 * TPM: tokens used in the window plus tokens reserved by requests in flight, the same way.
 * RPM and TPM windows are fixed, starting at the subject's first request after the last one
 * ended, on Redis's clock (`TIME`), so replicas with skewed clocks count alike.
 *
 * Everything is checked before anything is counted, so a refusal consumes nothing.
 *
 * On a Redis Cluster one script may only reach one slot: a subject's keys share a hash tag, and
 * the limiter admits subject by subject, undoing (UNDO below) what the earlier ones took when a
 * later one refuses (see limiter.ts).
 *
 * ADMIT. KEYS: per subject [state, inFlight, reservations]. ARGV: subjects, requestId, cost,
 * tokens, holdMs, windowMs, then per subject [maxBudget (-1: none), seedSpend, budgetWindow,
 * rpmLimit, tpmLimit, parallelLimit] (limits: 0 = none).
 * Reply: {1, then per subject the rpm window start counted in and the one before (equal unless this
 * request opened the window; '' for none)}, what UNDO needs; {0, 1, subject, committedSpend} for a
 * budget; {0, 2, subject, which, retryAfterMs} for a rate limit (which: 1 rpm, 2 tpm, 3 parallel).
 */
const ADMIT_LUA = `${RELEASE_LUA}
local n = tonumber(ARGV[1])
local id = ARGV[2]
local cost = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local holdMs = tonumber(ARGV[5])
local windowMs = tonumber(ARGV[6])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local seen = {}
local before = {}
for i = 0, n - 1 do
  local state, inFlight, held = KEYS[i * 3 + 1], KEYS[i * 3 + 2], KEYS[i * 3 + 3]
  local a = 6 + i * 6
  for _, rid in ipairs(redis.call('ZRANGEBYSCORE', inFlight, '-inf', now)) do
    release(state, inFlight, held, rid)
  end
  local count = redis.call('ZCARD', inFlight)
  if count == 0 then redis.call('HSET', state, 'rs', 0, 'rt', 0) end
  local f = redis.call('HMGET', state, 'bw', 'bs', 'rs', 'rt', 'rw', 'rc', 'tw', 'tc')
  local budget = tonumber(ARGV[a + 1])
  if budget >= 0 then
    local seed = tonumber(ARGV[a + 2])
    local stored = nil
    if f[1] == ARGV[a + 3] then stored = tonumber(f[2]) end
    local spend = seed
    if stored ~= nil and stored > seed then spend = stored end
    if stored == nil or spend ~= stored then
      redis.call('HSET', state, 'bw', ARGV[a + 3], 'bs', spend)
    end
    local committed = spend + tonumber(f[3] or '0')
    if committed >= budget then return { 0, 1, i, tostring(committed) } end
  end
  local rpm, tpm, parallel = tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6])
  local rw, tw = tonumber(f[5]), tonumber(f[7])
  local rpmOpen = rw ~= nil and now - rw < windowMs
  local tpmOpen = tw ~= nil and now - tw < windowMs
  if rpm > 0 and rpmOpen and tonumber(f[6]) >= rpm then
    return { 0, 2, i, 1, rw + windowMs - now }
  end
  local used = 0
  if tpmOpen then used = tonumber(f[8]) end
  if tpm > 0 and used + tonumber(f[4] or '0') >= tpm then
    local wait = 1000
    if used >= tpm then wait = tw + windowMs - now end
    return { 0, 2, i, 2, wait }
  end
  if parallel > 0 and count >= parallel then return { 0, 2, i, 3, 1000 } end
  seen[i] = rpmOpen
  before[i] = f[5] or ''
end
local out = { 1 }
for i = 0, n - 1 do
  local state, inFlight, held = KEYS[i * 3 + 1], KEYS[i * 3 + 2], KEYS[i * 3 + 3]
  redis.call('ZADD', inFlight, now + holdMs, id)
  redis.call('HSET', held, id, tostring(cost) .. ' ' .. tostring(tokens))
  redis.call('HINCRBYFLOAT', state, 'rs', cost)
  redis.call('HINCRBY', state, 'rt', tokens)
  if seen[i] then
    redis.call('HINCRBY', state, 'rc', 1)
    table.insert(out, before[i])
  else
    redis.call('HSET', state, 'rw', now, 'rc', 1)
    table.insert(out, tostring(now))
  end
  table.insert(out, before[i])
end
return out
`;

/** Per subject admitted: the rpm window start it was counted in, and the one before ('' for none). */
export type CountedWindow = readonly [counted: string, before: string];

export type AdmitReply =
  | { readonly admitted: true; readonly windows: readonly CountedWindow[] }
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

/**
 * The memory twin keeps a subject's state as one JSON value under its state key; a single process
 * has no concurrent writers, so it needs no finer structure.
 */
interface MemoryState {
  bw?: string;
  bs: number;
  rw?: number;
  rc: number;
  tw?: number;
  tc: number;
  /** Requests in flight: id → [hold expiry, cost, tokens]. */
  fl: Record<string, [number, number, number]>;
}

function readState(view: MemoryView, key: string): MemoryState {
  const raw = view.get(key);
  return raw === null ? { bs: 0, rc: 0, tc: 0, fl: {} } : (JSON.parse(raw) as MemoryState);
}

/** Drops expired holds; returns what the live ones reserve. */
function liveHolds(state: MemoryState, now: number): { count: number; cost: number; tokens: number } {
  const live = { count: 0, cost: 0, tokens: 0 };
  for (const [id, [expires, cost, tokens]] of Object.entries(state.fl)) {
    if (expires <= now) {
      delete state.fl[id];
      continue;
    }
    live.count += 1;
    live.cost += cost;
    live.tokens += tokens;
  }
  return live;
}

export const admitScript: KvScript<AdmitReply> = Object.freeze<KvScript<AdmitReply>>({
  name: "routeiq_admit_v3",
  lua: ADMIT_LUA,
  parse(reply: unknown): AdmitReply {
    const [ok, kind, subject, detail, ttl] = reply as [number, number?, number?, (number | string)?, number?];
    if (ok === 1) {
      const fields = (reply as unknown[]).slice(1).map(String);
      const windows: CountedWindow[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2)
        windows.push([fields[i] as string, fields[i + 1] as string]);
      return { admitted: true, windows };
    }
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
    const [n, , cost, tokens, holdMs, windowMs] = args.slice(0, 6).map(Number) as number[];
    const id = args[1] as string;
    const now = view.now();
    const states: MemoryState[] = [];
    for (let i = 0; i < (n as number); i++) {
      const key = keys[i * 3] as string;
      const [budget, seed, rpm, tpm, parallel] = [1, 2, 4, 5, 6].map((o) => Number(args[6 + i * 6 + o - 1]));
      const window = args[6 + i * 6 + 2] as string;
      const state = readState(view, key);
      const held = liveHolds(state, now);
      states.push(state);
      if ((budget as number) >= 0) {
        state.bs = state.bw === window ? Math.max(state.bs, seed as number) : (seed as number);
        state.bw = window;
        view.set(key, JSON.stringify(state));
        const committed = state.bs + held.cost;
        if (committed >= (budget as number)) return [0, 1, i, String(committed)];
      }
      const rpmOpen = state.rw !== undefined && now - state.rw < (windowMs as number);
      const tpmOpen = state.tw !== undefined && now - state.tw < (windowMs as number);
      if ((rpm as number) > 0 && rpmOpen && state.rc >= (rpm as number)) {
        return [0, 2, i, 1, (state.rw as number) + (windowMs as number) - now];
      }
      const used = tpmOpen ? state.tc : 0;
      if ((tpm as number) > 0 && used + held.tokens >= (tpm as number)) {
        return [
          0,
          2,
          i,
          2,
          used >= (tpm as number) ? (state.tw as number) + (windowMs as number) - now : 1000,
        ];
      }
      if ((parallel as number) > 0 && held.count >= (parallel as number)) return [0, 2, i, 3, 1000];
    }
    const out: (number | string)[] = [1];
    states.forEach((state, i) => {
      state.fl[id] = [now + (holdMs as number), cost as number, tokens as number];
      const before = state.rw === undefined ? "" : String(state.rw);
      if (state.rw !== undefined && now - state.rw < (windowMs as number)) state.rc += 1;
      else {
        state.rw = now;
        state.rc = 1;
      }
      out.push(String(state.rw), before);
      view.set(keys[i * 3] as string, JSON.stringify(state));
    });
    return out;
  },
});

/**
 * UNDO: an admitted subject gives back what the request took, because another subject refused it
 * (or could not be asked). KEYS: [state, inFlight, reservations] of one subject. ARGV: requestId,
 * and the rpm window pair ADMIT replied for it. The hold goes as on a finish; the rpm count goes
 * back down in the window it was counted in, and a window this request opened is closed again
 * unless another request was counted in it since, so the subject is left as if it never admitted.
 */
const UNDO_LUA = `${RELEASE_LUA}
local state, inFlight, held = KEYS[1], KEYS[2], KEYS[3]
release(state, inFlight, held, ARGV[1])
local f = redis.call('HMGET', state, 'rw', 'rc')
if f[1] and tonumber(f[1]) == tonumber(ARGV[2]) then
  local rc = tonumber(f[2] or '0')
  if ARGV[3] ~= ARGV[2] and rc <= 1 then
    if ARGV[3] == '' then redis.call('HDEL', state, 'rw') else redis.call('HSET', state, 'rw', ARGV[3]) end
    redis.call('HSET', state, 'rc', 0)
  elseif rc > 0 then
    redis.call('HINCRBY', state, 'rc', -1)
  end
end
return 1
`;

export const undoScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_undo_admit_v1",
  lua: UNDO_LUA,
  parse: () => undefined,
  memory(view, keys, args) {
    const key = keys[0] as string;
    const [id, counted, before] = args as [string, string, string];
    const state = readState(view, key);
    delete state.fl[id];
    if (state.rw !== undefined && state.rw === Number(counted)) {
      if (before !== counted && state.rc <= 1) {
        if (before === "") delete state.rw;
        else state.rw = Number(before);
        state.rc = 0;
      } else if (state.rc > 0) state.rc -= 1;
    }
    view.set(key, JSON.stringify(state));
    return 1;
  },
});

/**
 * FINISH: the request ended. KEYS: per subject [state, inFlight, reservations]. ARGV: subjects,
 * requestId, actualCost, actualTokens, windowMs. Frees the request's hold (if it has not expired
 * already), adds its real cost to each live spend counter and its tokens to each tpm window.
 */
const FINISH_LUA = `${RELEASE_LUA}
local n = tonumber(ARGV[1])
local id = ARGV[2]
local cost = tonumber(ARGV[3])
local tokens = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 0, n - 1 do
  local state, inFlight, held = KEYS[i * 3 + 1], KEYS[i * 3 + 2], KEYS[i * 3 + 3]
  release(state, inFlight, held, id)
  if cost > 0 and redis.call('HEXISTS', state, 'bw') == 1 then
    redis.call('HINCRBYFLOAT', state, 'bs', cost)
  end
  if tokens > 0 then
    local tw = tonumber(redis.call('HGET', state, 'tw'))
    if tw ~= nil and now - tw < windowMs then
      redis.call('HINCRBY', state, 'tc', tokens)
    else
      redis.call('HSET', state, 'tw', now, 'tc', tokens)
    end
  end
end
return 1
`;

export const finishScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_finish_v2",
  lua: FINISH_LUA,
  parse: () => undefined,
  memory(view, keys, args) {
    const [n, , cost, tokens, windowMs] = args.slice(0, 5).map(Number) as number[];
    const id = args[1] as string;
    const now = view.now();
    for (let i = 0; i < (n as number); i++) {
      const key = keys[i * 3] as string;
      const state = readState(view, key);
      delete state.fl[id];
      if ((cost as number) > 0 && state.bw !== undefined) state.bs += cost as number;
      if ((tokens as number) > 0) {
        if (state.tw !== undefined && now - state.tw < (windowMs as number)) state.tc += tokens as number;
        else {
          state.tw = now;
          state.tc = tokens as number;
        }
      }
      view.set(key, JSON.stringify(state));
    }
    return 1;
  },
});

/**
 * RESET SPEND: an operator set a subject's spend in Postgres (`/key/update {"spend": 0}`). KEYS:
 * per subject [state]. The live counter is dropped, so the next admission seeds it from Postgres.
 */
export const resetSpendScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_reset_spend_v1",
  lua: `
for i = 1, #KEYS do redis.call('HDEL', KEYS[i], 'bw', 'bs') end
return 1
`,
  parse: () => undefined,
  memory(view, keys) {
    for (const key of keys) {
      if (view.get(key) === null) continue;
      const state = readState(view, key);
      delete state.bw;
      state.bs = 0;
      view.set(key, JSON.stringify(state));
    }
    return 1;
  },
});
