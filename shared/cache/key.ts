import type { CacheScope } from "./settings";

/** Which OpenAI operation answered: it decides the key and how a cached answer is replayed. */
export type CacheRoute = "chat" | "completion" | "embedding" | "responses";

/** Who is asking, as far as cache sharing goes. */
export interface CacheIdentity {
  /** The caller's key: a virtual key's token hash, or the presented key (it is only ever hashed). */
  readonly key: string | undefined;
  readonly team: string | undefined;
}

/**
 * Request fields that do not change the answer: how it is delivered (`stream`, `stream_options`),
 * who to bill or trace (`user`, `metadata`, request ids), and the cache controls themselves.
 */
const IGNORED_FIELDS = new Set([
  "stream",
  "stream_options",
  "user",
  "metadata",
  "cache",
  "request_id",
  "litellm_call_id",
  "litellm_trace_id",
  "litellm_session_id",
]);

/** JSON with object keys sorted at every depth, so field order never splits the cache. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${fields.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The partition a request's answers live in. Without a team, "team" narrows to the key: never wider. */
export function scopeOf(scope: CacheScope, identity: CacheIdentity): string {
  if (scope === "global") return "global";
  if (scope === "team" && identity.team !== undefined) return `team:${identity.team}`;
  return `key:${identity.key ?? ""}`;
}

export interface KeyInput {
  readonly route: CacheRoute;
  readonly modelGroup: string;
  readonly request: Readonly<Record<string, unknown>>;
  readonly scope: string;
}

/** SHA-256 hex of the normalised request: the same question in the same scope gets the same key. */
export async function cacheKeyOf(input: KeyInput): Promise<string> {
  const request: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input.request)) {
    // Top-level null means "the default", as absent does.
    if (!IGNORED_FIELDS.has(field) && value !== null && value !== undefined) request[field] = value;
  }
  const text = canonicalJson({ route: input.route, group: input.modelGroup, scope: input.scope, request });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
