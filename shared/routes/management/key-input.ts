import type { Context } from "hono";
import { z } from "zod";
import { badRequest } from "../../errors";
import { durationSchema, nextReset } from "../../keys/duration";
import { hashKey, isKeyHash, KEY_PREFIX } from "../../keys/key-material";
import type { KeyPatch } from "../../store/tables/keys";
import { aliasSchema, idSchema, limitFields, limitPatch, queryBool, queryInt, spendSchema } from "./fields";

/** A key as the client holds it (`sk-...`) or its hash, as `/key/list` and `token` give it. */
export const keyRefSchema = z.string().refine((value) => value.startsWith(KEY_PREFIX) || isKeyHash(value), {
  message: "expected a key (sk-...) or its hash (64 hex characters)",
});

export const resolveKeyHash = async (ref: string): Promise<string> =>
  ref.startsWith(KEY_PREFIX) ? hashKey(ref) : ref;

/**
 * Where a GET names the key it is about without putting it in the URL: query strings end up in
 * access logs, proxies' logs and browser history, headers do not. LiteLLM's query parameter
 * (`?key=`, `?api_key=`) still works, for the scripts that use it.
 */
export const KEY_HEADER = "x-routeiq-key";

/** The key named by the `x-routeiq-key` header or, failing that, by the query parameter `param`. */
export function keyFromHeaderOrQuery(
  c: Context,
  fromQuery: string | undefined,
  param: string,
): string | undefined {
  const header = c.req.header(KEY_HEADER);
  if (header === undefined) return fromQuery;
  if (fromQuery !== undefined) {
    throw badRequest(
      `${param}: send the key either in the ${KEY_HEADER} header or as ?${param}=, not both`,
      param,
    );
  }
  const parsed = keyRefSchema.safeParse(header.trim());
  if (!parsed.success) {
    throw badRequest(`${KEY_HEADER}: expected a key (sk-...) or its hash (64 hex characters)`, KEY_HEADER);
  }
  return parsed.data;
}

const keyFields = {
  key_alias: aliasSchema.nullable().optional(),
  ...limitFields,
  duration: durationSchema.nullable().optional(),
  expires: z.iso
    .datetime({ offset: true, error: "expected an ISO 8601 date-time such as 2030-01-01T00:00:00Z" })
    .nullable()
    .optional(),
  team_id: idSchema.nullable().optional(),
  user_id: idSchema.nullable().optional(),
  blocked: z.boolean().optional(),
};

/** A key chosen by the caller rather than generated. */
const chosenKeySchema = z
  .string()
  .regex(/^sk-[A-Za-z0-9_-]{16,256}$/, "expected sk- followed by 16 to 256 characters [A-Za-z0-9_-]");

export const generateKeySchema = z.strictObject({
  // Lets keys issued by LiteLLM keep working after a switch: the holder already knows them.
  key: chosenKeySchema.optional(),
  ...keyFields,
});

/** `/key/regenerate`'s body, or `/key/{key}/regenerate`'s optional one: the key fields apply as an update. */
export const regenerateKeySchema = z.strictObject({
  key: keyRefSchema.optional(),
  new_key: chosenKeySchema.optional(),
  // LiteLLM rotates the master key here; accepted only to be refused with what to do instead.
  new_master_key: z.unknown().optional(),
  ...keyFields,
  spend: spendSchema.optional(),
});

export const updateKeySchema = z.strictObject({
  key: keyRefSchema,
  ...keyFields,
  spend: spendSchema.optional(),
});
export const keyRefBodySchema = z.strictObject({ key: keyRefSchema });
export const keyInfoQuerySchema = z.strictObject({ key: keyRefSchema.optional() });

export const deleteKeysSchema = z.strictObject({
  keys: z.array(keyRefSchema).min(1).max(1000).optional(),
  key_aliases: z.array(aliasSchema).min(1).max(1000).optional(),
});

export const listKeysQuerySchema = z.strictObject({
  team_id: idSchema.optional(),
  user_id: idSchema.optional(),
  key_alias: aliasSchema.optional(),
  page: queryInt(1_000_000).optional(),
  size: queryInt(100).optional(),
  return_full_object: queryBool.optional(),
});

type KeyFieldsInput = z.infer<z.ZodObject<typeof keyFields>> & { spend?: number };

function expiry(input: KeyFieldsInput, now: Date): Date | null | undefined {
  if (input.duration !== undefined && input.expires !== undefined) {
    throw badRequest("expires: send either duration or expires, not both", "expires");
  }
  if (input.duration !== undefined) return input.duration === null ? null : nextReset(now, input.duration);
  if (input.expires !== undefined) return input.expires === null ? null : new Date(input.expires);
  return undefined;
}

/** The stored form of the key fields a request set (undefined = leave as is, null = clear). */
export const keyPatch = (input: KeyFieldsInput, now: Date): KeyPatch => ({
  ...limitPatch(input, now),
  keyAlias: input.key_alias,
  teamId: input.team_id,
  userId: input.user_id,
  blocked: input.blocked,
  expiresAt: expiry(input, now),
  spend: input.spend,
});
