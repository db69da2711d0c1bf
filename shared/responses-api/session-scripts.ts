import type { KvScript, MemoryView } from "../store/kv/script";

/**
 * Atomic operations on stored responses. A stored value is `<previous response id>\n<JSON>`, so a
 * script can follow a conversation back without decoding JSON. Every response of one key lives
 * under one hash tag (`{responses:<scope>}:<id>`), so a script reaches a whole conversation on one
 * Redis Cluster node; the ids it follows were validated (`resp_` and letters and digits) before
 * they were stored, so they never lead outside the scope's keys.
 */

const NOT_FOUND = 0;
const FOUND = 1;
const BROKEN = 2;
const TOO_LONG = 3;

export type ConversationReply =
  | { readonly status: "found"; readonly values: readonly string[] }
  | { readonly status: "missing" | "broken" | "too_long" };

const STATUSES = { [NOT_FOUND]: "missing", [BROKEN]: "broken", [TOO_LONG]: "too_long" } as const;

/** The part of a value before its first newline: the previous response's id, or "". */
export const previousOf = (value: string): string => {
  const newline = value.indexOf("\n");
  return newline < 0 ? "" : value.slice(0, newline);
};

const siblingBase = (key: string): string => key.slice(0, key.lastIndexOf(":") + 1);

/** INCRBY on a total whose window (its TTL) starts with its first addition, as the Lua does. */
function addTo(view: MemoryView, total: string, size: number, ttl: number): number {
  const used = Number(view.get(total) ?? 0) + size;
  const left = view.pttl(total);
  view.set(total, String(used), left > 0 ? left : ttl);
  return used;
}

/**
 * KEYS[1]: the response to continue from, KEYS[2]: its key's running total. ARGV: the most turns
 * to follow, the TTL, the key's quota. Replies the stored values newest first; or why it cannot:
 * no such response, an earlier turn is gone (expired, evicted or deleted), or more turns than
 * allowed. While the key is under its quota, every turn's TTL is renewed (a conversation lives as
 * long after its last turn as a single response does) and what they hold is counted against the
 * quota again, so every byte a key keeps alive was counted within the last two windows.
 */
export const conversationScript: KvScript<ConversationReply> = Object.freeze<KvScript<ConversationReply>>({
  name: "responses_conversation",
  lua: `
local base = string.match(KEYS[1], "^(.*:)")
local key = KEYS[1]
local keys = {}
local values = {}
local limit = tonumber(ARGV[1])
while true do
  local value = redis.call("GET", key)
  if not value then
    if #values == 0 then return {${NOT_FOUND}} end
    return {${BROKEN}}
  end
  if #values == limit then return {${TOO_LONG}} end
  keys[#keys + 1] = key
  values[#values + 1] = value
  local newline = string.find(value, "\\n", 1, true)
  local previous = newline and string.sub(value, 1, newline - 1) or ""
  if previous == "" then break end
  key = base .. previous
end
local total = tonumber(redis.call("GET", KEYS[2]) or "0")
if total < tonumber(ARGV[3]) then
  local size = 0
  for i, visited in ipairs(keys) do
    redis.call("PEXPIRE", visited, ARGV[2])
    size = size + #values[i]
  end
  redis.call("INCRBY", KEYS[2], size)
  if redis.call("PTTL", KEYS[2]) < 0 then redis.call("PEXPIRE", KEYS[2], ARGV[2]) end
end
table.insert(values, 1, ${FOUND})
return values
`,
  parse(reply): ConversationReply {
    const [status, ...values] = reply as [number | string, ...string[]];
    const code = Number(status);
    if (code === FOUND) return { status: "found", values };
    return { status: STATUSES[code as keyof typeof STATUSES] ?? "missing" };
  },
  memory(view, keys, args) {
    const base = siblingBase(keys[0] as string);
    const limit = Number(args[0]);
    const visited: string[] = [];
    const values: string[] = [];
    let key = keys[0] as string;
    for (;;) {
      const value = view.get(key);
      if (value === null) return [values.length === 0 ? NOT_FOUND : BROKEN];
      if (values.length === limit) return [TOO_LONG];
      visited.push(key);
      values.push(value);
      const previous = previousOf(value);
      if (previous === "") break;
      key = base + previous;
    }
    const total = keys[1] as string;
    const ttl = Number(args[1]);
    if (Number(view.get(total) ?? 0) < Number(args[2])) {
      for (const k of visited) view.pexpire(k, ttl);
      const size = values.reduce((sum, value) => sum + value.length, 0);
      addTo(view, total, size, ttl);
    }
    return [FOUND, ...values];
  },
});

/**
 * KEYS[1]: the response, KEYS[2]: its key's running total. ARGV: the value, its TTL, its size.
 * Stores the response and adds its size to the total of the key's current window (which starts
 * with the first response stored in it and lasts one TTL); replies the new total.
 */
export const saveScript: KvScript<number> = Object.freeze<KvScript<number>>({
  name: "responses_save",
  lua: `
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
local used = redis.call("INCRBY", KEYS[2], ARGV[3])
if redis.call("PTTL", KEYS[2]) < 0 then redis.call("PEXPIRE", KEYS[2], ARGV[2]) end
return used
`,
  parse: (reply) => Number(reply),
  memory(view, keys, args) {
    const [record, total] = keys as [string, string];
    const ttl = Number(args[1]);
    view.set(record, args[0] as string, ttl);
    return addTo(view, total, Number(args[2]), ttl);
  },
});

/** KEYS[1]: a response. Deletes it; replies 1 if it was there. */
export const deleteScript: KvScript<boolean> = Object.freeze<KvScript<boolean>>({
  name: "responses_delete",
  lua: `return redis.call("DEL", KEYS[1])`,
  parse: (reply) => Number(reply) === 1,
  memory(view, keys) {
    const key = keys[0] as string;
    const existed = view.get(key) !== null;
    view.del(key);
    return existed ? 1 : 0;
  },
});
