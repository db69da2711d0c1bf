import type { Principal } from "../auth/principal";
import type { Kv } from "../store/kv/port";
import { conversationScript, deleteScript, saveScript } from "./session-scripts";
import type { ResponsesSettings } from "./settings";
import type { InputItem, ResponseObject } from "./types";

/** One stored response: what it answered, and the input it was asked (its own turn only). */
export interface StoredResponse {
  readonly response: ResponseObject;
  readonly input: readonly InputItem[];
}

export type Conversation =
  /** Oldest turn first; `chars`: what they take stored. */
  | { readonly status: "found"; readonly turns: readonly StoredResponse[]; readonly chars: number }
  | { readonly status: "missing" | "broken" | "too_long" };

/**
 * Whose responses these are: each virtual key (by its hash), the master key, and on a gateway
 * without a master key everyone together. A key sees only its own scope's responses.
 */
export function sessionScopeOf(principal: Principal | undefined): string {
  switch (principal?.kind) {
    case "virtual_key":
      return `key.${principal.keyHash}`;
    case "master":
      return "master";
    default:
      return "open";
  }
}

/** Turns one conversation may have: far beyond an agent's loop, a bound on one script's work. */
export const MAX_TURNS = 1_000;

const recordKey = (scope: string, id: string) => `{responses:${scope}}:${id}`;
const totalKey = (scope: string) => `{responses:${scope}}:stored`;

const decode = (value: string): StoredResponse =>
  JSON.parse(value.slice(value.indexOf("\n") + 1)) as StoredResponse;

/**
 * Stored responses behind the KV port (Redis shared by every replica, or process memory): each
 * a key of its own with a TTL, pointing at the response it continued. Ids must be validated
 * (`RESPONSE_ID`) before they get here.
 */
export interface SessionStore {
  get(scope: string, id: string): Promise<StoredResponse | undefined>;
  /** The conversation ending with `id`, renewing its TTL (and counting it) while `scope` is under quota. */
  conversation(scope: string, id: string): Promise<Conversation>;
  /** Whether `scope` stored less than its quota in the current window. */
  underQuota(scope: string): Promise<boolean>;
  save(scope: string, stored: StoredResponse, previousId: string | undefined): Promise<void>;
  delete(scope: string, id: string): Promise<boolean>;
}

export function sessionStore(kv: Kv, settings: ResponsesSettings): SessionStore {
  return {
    async get(scope, id) {
      const value = await kv.get(recordKey(scope, id));
      return value === null ? undefined : decode(value);
    },

    async conversation(scope, id) {
      const reply = await kv.run(
        conversationScript,
        [recordKey(scope, id), totalKey(scope)],
        [MAX_TURNS, settings.ttlMs, settings.quotaChars],
      );
      if (reply.status !== "found") return reply;
      const turns = reply.values.map(decode).reverse();
      const chars = reply.values.reduce((sum, value) => sum + value.length, 0);
      return { status: "found", turns, chars };
    },

    async underQuota(scope) {
      return Number((await kv.get(totalKey(scope))) ?? 0) < settings.quotaChars;
    },

    async save(scope, stored, previousId) {
      const value = `${previousId ?? ""}\n${JSON.stringify(stored)}`;
      await kv.run(
        saveScript,
        [recordKey(scope, stored.response.id), totalKey(scope)],
        [value, settings.ttlMs, value.length],
      );
    },

    delete: (scope, id) => kv.run(deleteScript, [recordKey(scope, id)], []),
  };
}
