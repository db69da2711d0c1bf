import { createParser } from "eventsource-parser";
import type { Kv } from "../store/kv/port";
import type { KvScript } from "../store/kv/script";

/**
 * Which caller each A2A task belongs to. An agent knows one caller, the gateway, so it would serve
 * any key's task to whoever names its id: the gateway records the owner of every task id an
 * agent's answer carries, before the caller sees it, and serves a request naming a task (get,
 * cancel, resubscribe, or a message continuing it) only to that owner. Kept in the KV store, so
 * every replica agrees; a task the gateway never handed out is as missing as another caller's.
 */

/** How long an owner is remembered after the task was last seen in an answer. */
export const TASK_OWNER_TTL_MS = 7 * 86_400_000;

/** The methods whose `params.id` names an existing task (A2A 0.3's names and 1.0's). */
const TASK_METHODS: ReadonlySet<string> = new Set([
  "tasks/get",
  "tasks/cancel",
  "tasks/resubscribe",
  "GetTask",
  "CancelTask",
  "SubscribeToTask",
]);

const ownerKey = (agent: string, taskId: string) => `a2a:task:${agent}:${taskId}`;

/** Claims a task for ARGV[1] unless another owner holds it; answers the owner. Renews the claim. */
const claimScript: KvScript<string> = Object.freeze<KvScript<string>>({
  name: "a2a_task_claim",
  lua: `
local owner = redis.call("GET", KEYS[1])
if owner and owner ~= ARGV[1] then return owner end
redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
return ARGV[1]`,
  parse: (reply) => String(reply),
  memory(view, keys, args) {
    const key = keys[0] as string;
    const owner = view.get(key);
    if (owner !== null && owner !== args[0]) return owner;
    view.set(key, args[0] as string, Number(args[1]));
    return args[0];
  },
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The task ids an answer's `result` carries: a task (`kind: "task"` in 0.3, `task` in 1.0), and the
 * `taskId` of a message or of a status or artifact update, in either version's shape.
 */
export function taskIdsOf(result: unknown): string[] {
  if (!isObject(result)) return [];
  const ids = new Set<string>();
  const visit = (value: unknown, isTask: boolean) => {
    if (!isObject(value)) return;
    if (isTask && typeof value.id === "string" && value.id !== "") ids.add(value.id);
    if (typeof value.taskId === "string" && value.taskId !== "") ids.add(value.taskId);
  };
  visit(result, result.kind === "task");
  visit(result.task, true);
  for (const name of ["message", "statusUpdate", "artifactUpdate"]) visit(result[name], false);
  return [...ids];
}

/** Most tasks one request may name; past it the request is refused as naming a missing task. */
export const MAX_NAMED_TASKS = 64;
/** The longest task id looked up (each is a KV key): longer ones name no task the gateway holds. */
export const MAX_TASK_ID_CHARS = 1_024;

const idOrNone = (value: unknown): string =>
  typeof value === "string" && value.length <= MAX_TASK_ID_CHARS ? value : "";

/** The fields of a message that name a task, as the agents' parsers read them (camelCase and proto's snake_case). */
const MESSAGE_TASK_FIELDS = ["taskId", "task_id"] as const;
const MESSAGE_REFERENCE_FIELDS = ["referenceTaskIds", "reference_task_ids"] as const;

/**
 * The tasks a request names: `params.id` of the task methods, and of a message (under `message`, or
 * proto's `request`) its `taskId` and every `referenceTaskIds` entry, in either spelling, since
 * @a2a-js/sdk and proto-based agents read `task_id` and `reference_task_ids` too (a referenced
 * task's history is handed to the agent's executor). A value an agent could read as an id but is
 * not a string (`["t1"]` reads as "t1" through `String`), or is longer than MAX_TASK_ID_CHARS,
 * names "", a task no one owns.
 */
export function tasksNamedBy(method: string, params: unknown): string[] {
  if (TASK_METHODS.has(method)) {
    return [isObject(params) ? idOrNone(params.id) : ""];
  }
  if (!isObject(params)) return [];
  const named: string[] = [];
  for (const message of [params.message, params.request]) {
    if (!isObject(message)) continue;
    for (const field of MESSAGE_TASK_FIELDS) {
      const value = message[field];
      if (value === undefined || value === null || value === "") continue;
      named.push(idOrNone(value));
    }
    for (const field of MESSAGE_REFERENCE_FIELDS) {
      const value = message[field];
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) {
        named.push("");
        continue;
      }
      for (const id of value) named.push(idOrNone(id));
    }
  }
  const unique = [...new Set(named)];
  return unique.length > MAX_NAMED_TASKS ? [""] : unique;
}

export interface TaskOwners {
  /** Whether `owner` may name `taskId` of `agent`. */
  owns(agent: string, taskId: string, owner: string): Promise<boolean>;
  /** Records `owner` for every task `result` carries; false when one already belongs to another. */
  claim(agent: string, result: unknown, owner: string): Promise<boolean>;
}

export function taskOwners(kv: Kv): TaskOwners {
  return {
    async owns(agent, taskId, owner) {
      return taskId !== "" && (await kv.get(ownerKey(agent, taskId))) === owner;
    },
    async claim(agent, result, owner) {
      for (const id of taskIdsOf(result)) {
        const holder = await kv.run(claimScript, [ownerKey(agent, id)], [owner, TASK_OWNER_TTL_MS]);
        if (holder !== owner) return false;
      }
      return true;
    },
  };
}

/** The `result` of a JSON-RPC answer's text, or undefined when it is not one. */
function resultOf(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed.result : undefined;
  } catch {
    return undefined;
  }
}

/** Claims the tasks of a whole JSON-RPC answer; false when one belongs to another caller. */
export function claimAnswer(
  owners: TaskOwners,
  agent: string,
  text: string,
  owner: string,
): Promise<boolean> {
  return owners.claim(agent, resultOf(text), owner);
}

/**
 * An agent's SSE answer passed through once each event's tasks are claimed: an event reaches the
 * caller only after its task ids are recorded as theirs. A task of another caller ends the stream.
 */
export function claimingStream(
  body: ReadableStream<Uint8Array>,
  claim: (result: unknown) => Promise<boolean>,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const results: unknown[] = [];
  const parser = createParser({ onEvent: (event) => results.push(resultOf(event.data)) });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      parser.feed(decoder.decode(value, { stream: true }));
      for (const result of results.splice(0)) {
        if (!(await claim(result))) {
          await reader.cancel();
          return controller.error(new Error("the agent answered with another caller's task"));
        }
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
