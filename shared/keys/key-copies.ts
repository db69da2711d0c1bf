import { z } from "zod";
import type { Kv } from "../store/kv/port";
import type { KeyRecord } from "../store/tables/keys";
import type { TeamRecord } from "../store/tables/teams";
import type { UserRecord } from "../store/tables/users";
import { type KeyContext, keyContext } from "./key-context";
import { objectPermissionSchema } from "./object-permission";
import { SealedBox } from "./sealed-box";

/** A key's context as Postgres answered it, and when (epoch ms): the stale window runs from then. */
export interface KeyCopy {
  readonly context: KeyContext;
  readonly loadedAt: number;
}

/**
 * Copies of resolved keys that replicas share, so one that never saw a key (restarted during a
 * database outage) can still authorise it. Best effort: failures read as "no copy".
 */
export interface KeyCopies {
  /** Stores a copy that expires `ttlMs` from now; never rejects and never delays the caller. */
  save(copy: KeyCopy, ttlMs: number): void;
  read(keyHash: string): Promise<KeyCopy | undefined>;
  /** Drops the copies of changed keys, so no replica serves one from before the change. */
  forget(keyHashes: readonly string[]): Promise<void>;
}

export const noKeyCopies: KeyCopies = {
  save: () => {},
  read: async () => undefined,
  forget: async () => {},
};

const date = z.coerce.date();
const limitFields = {
  models: z.array(z.string()),
  maxBudget: z.number().nullable(),
  budgetDuration: z.string().nullable(),
  budgetResetAt: date.nullable(),
  spend: z.number(),
  rpmLimit: z.number().nullable(),
  tpmLimit: z.number().nullable(),
  maxParallelRequests: z.number().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  objectPermission: objectPermissionSchema.default({}),
  createdAt: date,
  updatedAt: date,
};
const copySchema = z.object({
  loadedAt: z.number(),
  key: z.object({
    ...limitFields,
    keyHash: z.string(),
    keyName: z.string(),
    keyAlias: z.string().nullable(),
    teamId: z.string().nullable(),
    userId: z.string().nullable(),
    expiresAt: date.nullable(),
    blocked: z.boolean(),
  }) satisfies z.ZodType<KeyRecord>,
  team: z
    .object({ ...limitFields, teamId: z.string(), teamAlias: z.string().nullable(), blocked: z.boolean() })
    .optional() satisfies z.ZodType<TeamRecord | undefined>,
  user: z
    .object({
      ...limitFields,
      userId: z.string(),
      userEmail: z.string().nullable(),
      userRole: z.string(),
      teams: z.array(z.string()),
    })
    .optional() satisfies z.ZodType<UserRecord | undefined>,
});

const PREFIX = "keys:copy:";
const PURPOSE = "routeiq key-record copies v1";

export interface SharedKeyCopiesOptions {
  /** The secret the copies are sealed with (the master key); no secret, no copies. */
  readonly secret: () => string | undefined;
  /** A failed read or write of the store (counted, not thrown). */
  readonly onKvFailure?: (error: unknown) => void;
}

/**
 * Copies in the shared KV store (Redis), sealed (AES-GCM) under a key derived from the master key
 * and bound to the key hash they describe: someone with access to Redis alone can delete them, or
 * put back one they saw earlier for the same key (which the reader still bounds by its own stale
 * window from the copy's load time), but can neither read nor alter nor invent one.
 */
export function sharedKeyCopies(kv: Kv, options: SharedKeyCopiesOptions): KeyCopies {
  let box: { readonly secret: string; readonly box: SealedBox } | undefined;
  const boxFor = (): SealedBox | undefined => {
    const secret = options.secret();
    if (secret === undefined) return undefined;
    if (box?.secret !== secret) box = { secret, box: new SealedBox(secret, PURPOSE) };
    return box.box;
  };
  const failed = (error: unknown) => options.onKvFailure?.(error);
  // A copy holds the record from before any change announced while it was sealed or written: a
  // forget skips the writes not started yet (`forgets` moved) and waits for those under way, so no
  // copy lands after the forget that should have dropped it.
  let forgets = 0;
  const writing = new Set<Promise<void>>();
  return {
    save({ context, loadedAt }, ttlMs) {
      const sealer = boxFor();
      if (sealer === undefined || ttlMs <= 0) return;
      const { key, team, user } = context;
      const hash = key.keyHash;
      const asOf = forgets;
      void sealer.seal(JSON.stringify({ loadedAt, key, team, user }), hash).then((sealed) => {
        if (asOf !== forgets) return;
        const write = kv
          .set(PREFIX + hash, sealed, ttlMs)
          .catch(failed)
          .finally(() => writing.delete(write));
        writing.add(write);
      }, failed);
    },
    async read(keyHash) {
      const opener = boxFor();
      if (opener === undefined) return undefined;
      const sealed = await kv.get(PREFIX + keyHash).catch((error: unknown) => {
        failed(error);
        return null;
      });
      if (sealed === null) return undefined;
      const text = await opener.open(sealed, keyHash);
      if (text === undefined) return undefined;
      let parsed: z.infer<typeof copySchema>;
      try {
        parsed = copySchema.parse(JSON.parse(text));
      } catch {
        return undefined;
      }
      if (parsed.key.keyHash !== keyHash) return undefined;
      return { context: keyContext(parsed.key, parsed.team, parsed.user), loadedAt: parsed.loadedAt };
    },
    async forget(keyHashes) {
      forgets += 1;
      await Promise.all([...writing]);
      await Promise.all(keyHashes.map((hash) => kv.del(PREFIX + hash))).catch(failed);
    },
  };
}
