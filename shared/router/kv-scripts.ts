import type { KvScript, MemoryView } from "../store/kv/script";

/**
 * Router state in the KV store, one entry per deployment: "window rpm tpm fails latency
 * cooldownUntil" (latency -1 until a success), plus an in-flight counter under its own key so it
 * can carry its own expiry. The clock is the store's (Redis TIME), never a replica's, so replicas
 * with skewed clocks roll windows and end cooldowns together. Cooldowns are replied as the time
 * left, which the caller puts on its own clock.
 */
const WINDOW_MS = 60_000;
const LATENCY_ALPHA = 0.3;

const COMMON_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local win = math.floor(now / ${WINDOW_MS})
local function load(key)
  local e = { win, 0, 0, 0, -1, 0 }
  local v = redis.call('GET', key)
  if v then
    local i = 1
    for part in string.gmatch(v, '%S+') do
      e[i] = tonumber(part)
      i = i + 1
    end
    if e[1] ~= win then
      e[1] = win
      e[2] = 0
      e[3] = 0
      e[4] = 0
    end
  end
  return e
end
local function save(key, e, ttl)
  if e[6] - now > ttl then ttl = e[6] - now end
  redis.call('SET', key, table.concat(e, ' '), 'PX', ttl)
end
`;

type Entry = [
  window: number,
  rpm: number,
  tpm: number,
  fails: number,
  latency: number,
  cooldownUntil: number,
];

function load(view: MemoryView, key: string): Entry {
  const win = Math.floor(view.now() / WINDOW_MS);
  const raw = view.get(key);
  if (raw === null) return [win, 0, 0, 0, -1, 0];
  const [w = win, rpm = 0, tpm = 0, fails = 0, latency = -1, cooldownUntil = 0] = raw.split(" ").map(Number);
  return w === win ? [w, rpm, tpm, fails, latency, cooldownUntil] : [win, 0, 0, 0, latency, cooldownUntil];
}

function save(view: MemoryView, key: string, e: Entry, ttlMs: number): void {
  view.set(key, e.join(" "), Math.max(ttlMs, e[5] - view.now()));
}

/** INCRBY twin: keeps the key's expiry. */
function incrBy(view: MemoryView, key: string, by: number): number {
  const ttl = view.pttl(key);
  const value = Number(view.get(key) ?? "0") + by;
  view.set(key, String(value), ttl > 0 ? ttl : undefined);
  return value;
}

/**
 * RECORD — KEYS: [entry, inFlight]. ARGV: [entryTtlMs, inFlightTtlMs, started, finished, tokens,
 * successes, meanSuccessLatencyMs, failed (0/1), coolNow (0/1), allowedFails (-1: never by count),
 * cooldownMs]. Applies what one replica saw of a deployment since its last write (requests started
 * and finished, tokens, successes' latency) and, when `failed`, one failure, which may start a
 * cooldown. In-flight never goes below zero; its expiry is renewed whenever requests start, so the
 * count of a replica that died goes away. Replies 1 when this call started a cooldown.
 */
export const recordScript: KvScript<boolean> = Object.freeze<KvScript<boolean>>({
  name: "routeiq_router_record",
  lua: `${COMMON_LUA}
local started = tonumber(ARGV[3])
local inFlight = started - tonumber(ARGV[4])
local successes = tonumber(ARGV[6])
local allowed = tonumber(ARGV[10])
local cooled = 0
local e = load(KEYS[1])
e[2] = e[2] + started
e[3] = e[3] + tonumber(ARGV[5])
if successes > 0 then
  local mean = tonumber(ARGV[7])
  if e[5] < 0 then e[5] = mean else e[5] = e[5] + (1 - (1 - ${LATENCY_ALPHA}) ^ successes) * (mean - e[5]) end
end
if ARGV[8] == '1' then
  e[4] = e[4] + 1
  if ARGV[9] == '1' or (allowed >= 0 and e[4] >= allowed) then
    e[6] = now + tonumber(ARGV[11])
    e[4] = 0
    cooled = 1
  end
end
save(KEYS[1], e, tonumber(ARGV[1]))
if inFlight ~= 0 and redis.call('INCRBY', KEYS[2], inFlight) < 0 then
  redis.call('SET', KEYS[2], 0, 'PX', ARGV[2])
end
if started > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return cooled
`,
  parse: (reply) => Number(reply) === 1,
  memory(view, keys, args) {
    const [entryKey = "", inFlightKey = ""] = keys;
    const arg = (i: number) => Number(args[i]);
    const started = arg(2);
    const successes = arg(5);
    const allowed = arg(9);
    let cooled = 0;
    const e = load(view, entryKey);
    e[1] += started;
    e[2] += arg(4);
    if (successes > 0) {
      const mean = arg(6);
      e[4] = e[4] < 0 ? mean : e[4] + (1 - (1 - LATENCY_ALPHA) ** successes) * (mean - e[4]);
    }
    if (args[7] === "1") {
      e[3] += 1;
      if (args[8] === "1" || (allowed >= 0 && e[3] >= allowed)) {
        e[5] = view.now() + arg(10);
        e[3] = 0;
        cooled = 1;
      }
    }
    save(view, entryKey, e, arg(0));
    const inFlight = started - arg(3);
    if (inFlight !== 0 && incrBy(view, inFlightKey, inFlight) < 0) view.set(inFlightKey, "0", arg(1));
    if (started > 0) view.pexpire(inFlightKey, arg(1));
    return cooled;
  },
});

export interface StoredStats {
  readonly inFlight: number;
  readonly rpm: number;
  readonly tpm: number;
  readonly latencyMs: number | undefined;
  readonly cooldownLeftMs: number;
}

const FIELDS = 5;

/**
 * STATS — KEYS: [entry, inFlight] per deployment. Read-only. Replies, per deployment, strings
 * (Lua numbers would be truncated to integers): inFlight, rpm, tpm, latency (-1: none), cooldown left.
 */
export const statsScript: KvScript<StoredStats[]> = Object.freeze<KvScript<StoredStats[]>>({
  name: "routeiq_router_stats",
  lua: `${COMMON_LUA}
local out = {}
for i = 1, #KEYS, 2 do
  local e = load(KEYS[i])
  local left = e[6] - now
  if left < 0 then left = 0 end
  local inFlight = redis.call('GET', KEYS[i + 1]) or '0'
  table.insert(out, inFlight)
  table.insert(out, tostring(e[2]))
  table.insert(out, tostring(e[3]))
  table.insert(out, tostring(e[5]))
  table.insert(out, tostring(left))
end
return out
`,
  parse(reply) {
    const values = (reply as unknown[]).map(Number);
    const stats: StoredStats[] = [];
    for (let i = 0; i + FIELDS <= values.length; i += FIELDS) {
      const [inFlight = 0, rpm = 0, tpm = 0, latency = -1, left = 0] = values.slice(i, i + FIELDS);
      stats.push({ inFlight, rpm, tpm, latencyMs: latency < 0 ? undefined : latency, cooldownLeftMs: left });
    }
    return stats;
  },
  memory(view, keys) {
    const out: string[] = [];
    for (let i = 0; i + 1 < keys.length; i += 2) {
      const e = load(view, keys[i] as string);
      const left = Math.max(0, e[5] - view.now());
      out.push(
        view.get(keys[i + 1] as string) ?? "0",
        String(e[1]),
        String(e[2]),
        String(e[4]),
        String(left),
      );
    }
    return out;
  },
});
