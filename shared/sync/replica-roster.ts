import type { Kv } from "../store/kv/port";
import type { KvScript } from "../store/kv/script";

/**
 * The replicas seen lately: each replica reports itself to the shared KV store every few seconds
 * (its served config revision, whether it leads, its readiness), and any replica lists them all.
 * One small JSON document holds the roster, read and rewritten by one script, so the store's clock
 * stamps every report and a replica not heard from within its own age bound is dropped: each report
 * carries the age its sender allows itself, so replicas that beat at different rates (a rolling
 * change of ROUTEIQ_REPLICA_HEARTBEAT_SECONDS) do not drop each other.
 */

const ROSTER_KEY = "replicas:roster";

/** What a replica says about itself. */
export interface ReplicaReport {
  readonly revision: number;
  readonly revision_source: string;
  readonly is_leader: boolean;
  readonly readiness: "ready" | "not_ready";
  readonly checks: Readonly<Record<string, string>>;
}

export interface SeenReplica extends ReplicaReport {
  readonly id: string;
  /** When the store received its last report (epoch ms, the store's clock). */
  readonly seen_at: number;
}

export interface Roster {
  /** The store's clock when it answered (epoch ms), to tell each report's age. */
  readonly now: number;
  readonly replicas: readonly SeenReplica[];
}

type Stored = Record<string, ReplicaReport & { seen_at: number; max_age?: number }>;

/**
 * KEYS[1]: the roster. ARGV: the most age the caller's report may have (ms), then a replica id and
 * its report as JSON (an empty report drops the replica; no id only reads). Replies the store's time
 * and the roster, without the reports older than their own senders' age bound (the caller's, for a
 * report stored without one).
 */
const rosterScript: KvScript<Roster> = Object.freeze<KvScript<Roster>>({
  name: "replica_roster",
  lua: `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max_age = tonumber(ARGV[1])
local raw = redis.call("GET", KEYS[1])
local kept = {}
local count = 0
if raw then
  for id, entry in pairs(cjson.decode(raw)) do
    if now - entry.seen_at <= (tonumber(entry.max_age) or max_age) then
      kept[id] = entry
      count = count + 1
    end
  end
end
if ARGV[2] ~= nil and ARGV[2] ~= "" then
  if kept[ARGV[2]] ~= nil then count = count - 1 end
  kept[ARGV[2]] = nil
  if ARGV[3] ~= "" then
    local entry = cjson.decode(ARGV[3])
    entry.seen_at = now
    entry.max_age = max_age
    kept[ARGV[2]] = entry
    count = count + 1
  end
  if count == 0 then
    redis.call("DEL", KEYS[1])
  else
    local ttl = max_age
    for _, entry in pairs(kept) do
      local own = tonumber(entry.max_age) or max_age
      if own > ttl then ttl = own end
    end
    redis.call("SET", KEYS[1], cjson.encode(kept), "PX", math.ceil(ttl))
  end
end
if count == 0 then return {tostring(now), "{}"} end
return {tostring(now), cjson.encode(kept)}
`,
  parse(reply) {
    const [now, roster] = reply as [string, string];
    const stored = JSON.parse(roster) as Stored;
    const replicas = Object.entries(stored)
      .map(([id, { max_age: _, ...entry }]) => ({ ...entry, id }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { now: Number(now), replicas };
  },
  memory(view, keys, args) {
    const key = keys[0] as string;
    const now = view.now();
    const maxAge = Number(args[0]);
    const raw = view.get(key);
    const kept: Stored = {};
    for (const [id, entry] of Object.entries(raw === null ? {} : (JSON.parse(raw) as Stored))) {
      if (now - entry.seen_at <= (entry.max_age ?? maxAge)) kept[id] = entry;
    }
    const id = args[1];
    if (id !== undefined && id !== "") {
      delete kept[id];
      if (args[2] !== "")
        kept[id] = { ...(JSON.parse(args[2] as string) as ReplicaReport), seen_at: now, max_age: maxAge };
      const ttl = Math.max(maxAge, ...Object.values(kept).map((entry) => entry.max_age ?? maxAge));
      if (Object.keys(kept).length === 0) view.del(key);
      else view.set(key, JSON.stringify(kept), Math.ceil(ttl));
    }
    return [String(now), JSON.stringify(kept)];
  },
});

/** The roster in the shared store: reports in, lists out; `maxAgeMs` is how long a report counts. */
export function replicaRoster(kv: Kv, maxAgeMs: number) {
  return {
    maxAgeMs,
    report: (id: string, report: ReplicaReport): Promise<Roster> =>
      kv.run(rosterScript, [ROSTER_KEY], [maxAgeMs, id, JSON.stringify(report)]),
    /** Takes a replica off the roster at once (it is stopping), instead of when its report ages out. */
    leave: (id: string): Promise<Roster> => kv.run(rosterScript, [ROSTER_KEY], [maxAgeMs, id, ""]),
    list: (): Promise<Roster> => kv.run(rosterScript, [ROSTER_KEY], [maxAgeMs]),
  };
}

export type ReplicaRoster = ReturnType<typeof replicaRoster>;
