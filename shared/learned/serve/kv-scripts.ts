import type { KvScript, MemoryView } from "../../store/kv/script";

/**
 * The learned router's shared state in the KV store. Bandit arms: one key per (group, cluster,
 * candidate) holding "n sum" (observations and summed reward). Decisions: one key per request
 * holding "owner\nstate\njson" (state 1 once feedback was given), so feedback can be checked
 * against who asked and taken once.
 */

/** BANDIT READ — KEYS: arm keys. Replies "n sum" per key ("" when never rewarded). */
export const banditReadScript: KvScript<string[]> = Object.freeze<KvScript<string[]>>({
  name: "routeiq_bandit_read",
  lua: `
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('GET', key) or '' end
return out
`,
  parse: (reply) => (reply as unknown[]).map((v) => (typeof v === "string" ? v : "")),
  memory: (view, keys) => keys.map((key) => view.get(key) ?? ""),
});

/**
 * BANDIT REWARD — KEYS: [arm]. ARGV: [reward (0..1), window, ttlMs]. Adds one observation; past
 * `window` observations both numbers are scaled down, so old evidence fades and the bandit keeps
 * adapting.
 */
export const banditRewardScript: KvScript<void> = Object.freeze<KvScript<void>>({
  name: "routeiq_bandit_reward",
  lua: `
local v = redis.call('GET', KEYS[1])
local n, s = 0, 0
if v then
  local a, b = string.match(v, '^(%S+) (%S+)$')
  n = tonumber(a) or 0
  s = tonumber(b) or 0
end
n = n + 1
s = s + tonumber(ARGV[1])
local w = tonumber(ARGV[2])
if n > w then
  s = s * w / n
  n = w
end
redis.call('SET', KEYS[1], string.format('%.6f %.6f', n, s), 'PX', ARGV[3])
return 1
`,
  parse: () => undefined,
  memory(view: MemoryView, keys, args) {
    const key = keys[0] as string;
    const [a = "0", b = "0"] = (view.get(key) ?? "0 0").split(" ");
    let n = (Number(a) || 0) + 1;
    let s = (Number(b) || 0) + Number(args[0]);
    const w = Number(args[1]);
    if (n > w) {
      s = (s * w) / n;
      n = w;
    }
    view.set(key, `${n.toFixed(6)} ${s.toFixed(6)}`, Number(args[2]));
    return 1;
  },
});

/**
 * DECISION REMEMBER — KEYS: [decision]. ARGV: [owner, json, ttlMs]. Stores a request's decision,
 * unless another owner's decision is stored under the same request id (a client-chosen
 * x-request-id must not let one key take over another's). Replies 1 when stored.
 */
export const rememberScript: KvScript<boolean> = Object.freeze<KvScript<boolean>>({
  name: "routeiq_decision_remember",
  lua: `
local v = redis.call('GET', KEYS[1])
if v and string.match(v, '^([^\\n]*)\\n') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '\\n0\\n' .. ARGV[2], 'PX', ARGV[3])
return 1
`,
  parse: (reply) => Number(reply) === 1,
  memory(view, keys, args) {
    const key = keys[0] as string;
    const current = view.get(key);
    if (current !== null && current.slice(0, current.indexOf("\n")) !== args[0]) return 0;
    view.set(key, `${args[0]}\n0\n${args[1]}`, Number(args[2]));
    return 1;
  },
});

export type Claim =
  | { readonly kind: "missing" }
  | { readonly kind: "duplicate" }
  | { readonly kind: "claimed"; readonly json: string };

/**
 * DECISION CLAIM — KEYS: [decision]. ARGV: [owner, or "*" for any]. Takes the right to give
 * feedback on a decision, once. Another owner's decision reads as missing, so a key learns nothing
 * about requests that are not its own.
 */
export const claimScript: KvScript<Claim> = Object.freeze<KvScript<Claim>>({
  name: "routeiq_decision_claim",
  lua: `
local v = redis.call('GET', KEYS[1])
if not v then return 'missing' end
local owner, state, json = string.match(v, '^([^\\n]*)\\n(%d)\\n(.*)$')
if not owner or (ARGV[1] ~= '*' and owner ~= ARGV[1]) then return 'missing' end
if state == '1' then return 'duplicate' end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], owner .. '\\n1\\n' .. json, 'PX', ttl)
return '=' .. json
`,
  parse(reply) {
    const text = String(reply);
    if (text === "missing" || text === "duplicate") return { kind: text };
    return { kind: "claimed", json: text.slice(1) };
  },
  memory(view, keys, args) {
    const key = keys[0] as string;
    const value = view.get(key);
    if (value === null) return "missing";
    const match = /^([^\n]*)\n(\d)\n([\s\S]*)$/.exec(value);
    if (match === null || (args[0] !== "*" && match[1] !== args[0])) return "missing";
    if (match[2] === "1") return "duplicate";
    view.set(key, `${match[1]}\n1\n${match[3]}`, Math.max(1, view.pttl(key)));
    return `=${match[3]}`;
  },
});
