import { type Context, Hono } from "hono";
import { badRequest } from "../../errors";
import type { GatewayEnv } from "../../http/env";
import { generateKey, hashKey, keyName } from "../../keys/key-material";
import type { Sql, SqlExecutor } from "../../store/sql/port";
import {
  deleteKeys,
  getKeyByHash,
  insertKey,
  type KeyPatch,
  type KeyRecord,
  keyHashesForAliases,
  listKeys,
  updateKey,
} from "../../store/tables/keys";
import { announceKeyChanges, resetLiveSpend } from "./announce";
import { notFound, rethrowConstraint } from "./errors";
import { readBody, readQuery } from "./input";
import {
  deleteKeysSchema,
  generateKeySchema,
  KEY_HEADER,
  keyFromHeaderOrQuery,
  keyInfoQuerySchema,
  keyPatch,
  keyRefBodySchema,
  listKeysQuerySchema,
  resolveKeyHash,
  updateKeySchema,
} from "./key-input";
import { keyView } from "./present";
import { requireTeam, requireUser } from "./references";

const KEY_CONSTRAINTS = {
  routeiq_keys_pkey: "key",
  routeiq_keys_key_alias_key: "key_alias",
  routeiq_keys_team_id_fkey: "team_id",
  routeiq_keys_user_id_fkey: "user_id",
};

const keyNotFound = (param = "key") => notFound(`${param}: key not found`, param, "key_not_found");

async function findKey(sql: SqlExecutor, ref: string): Promise<KeyRecord> {
  const key = await getKeyByHash(sql, await resolveKeyHash(ref));
  if (key === undefined) throw keyNotFound();
  return key;
}

/** Applies a patch to one key, announces the change, and answers as LiteLLM's `/key/update` does. */
async function patchKey(c: Context<GatewayEnv>, ref: string, patch: KeyPatch): Promise<Response> {
  const keyHash = await resolveKeyHash(ref);
  const updated = await updateKey(c.get("deps").sql, keyHash, patch).catch((error: unknown) =>
    rethrowConstraint(error, KEY_CONSTRAINTS),
  );
  if (updated === undefined) throw keyNotFound();
  if (patch.spend !== undefined) await resetLiveSpend(c, [{ scope: "key", id: keyHash }]);
  await announceKeyChanges(c, [keyHash]);
  return c.json({ key: keyHash, ...keyView(updated) });
}

/** Deletes all of the named keys or none: a typo in one must not leave the caller guessing which went. */
async function deleteNamedKeys(
  sql: Sql,
  input: { keys?: string[] | undefined; key_aliases?: string[] | undefined },
): Promise<string[]> {
  const { keys, key_aliases: aliases } = input;
  if ((keys === undefined) === (aliases === undefined)) {
    throw badRequest("keys: send either keys or key_aliases", "keys");
  }
  const hashes = keys === undefined ? undefined : await Promise.all(keys.map(resolveKeyHash));
  return sql.transaction(async (tx) => {
    if (hashes !== undefined) {
      const deleted = await deleteKeys(tx, hashes);
      const missing = hashes.findIndex((hash) => !deleted.includes(hash));
      if (missing >= 0) throw keyNotFound(`keys[${missing}]`);
      return deleted;
    }
    const requested = aliases ?? [];
    const named = await keyHashesForAliases(tx, requested);
    const found = new Set(named.map((key) => key.keyAlias));
    const missing = requested.findIndex((alias) => !found.has(alias));
    if (missing >= 0) throw keyNotFound(`key_aliases[${missing}]`);
    return deleteKeys(
      tx,
      named.map((key) => key.keyHash),
    );
  });
}

/** LiteLLM's virtual key API: `/key/generate`, `/key/info`, `/key/update`, `/key/delete`, `/key/list`. */
export function keyRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post("/key/generate", async (c) => {
    const input = await readBody(c, generateKeySchema);
    const { sql } = c.get("deps");
    const patch = keyPatch(input, new Date());
    await requireTeam(sql, input.team_id);
    await requireUser(sql, input.user_id);
    const key = input.key ?? generateKey();
    const record = await insertKey(sql, {
      ...patch,
      keyHash: await hashKey(key),
      keyName: keyName(key),
    }).catch((error: unknown) => rethrowConstraint(error, KEY_CONSTRAINTS));
    // Replicas remember unknown keys for a moment. An imported key (`key` given) may have been
    // presented already, and must not stay refused there until that memory expires.
    if (input.key !== undefined) await announceKeyChanges(c, [record.keyHash]);
    // The only response that ever carries the key itself.
    return c.json({ key, ...keyView(record) });
  });

  app.get("/key/info", async (c) => {
    const ref = keyFromHeaderOrQuery(c, readQuery(c, keyInfoQuerySchema).key, "key");
    if (ref === undefined) {
      throw badRequest(`key: required; send it in the ${KEY_HEADER} header (or as ?key=)`, "key");
    }
    const key = await findKey(c.get("deps").sql, ref);
    return c.json({ key: key.keyHash, info: keyView(key) });
  });

  app.post("/key/update", async (c) => {
    const input = await readBody(c, updateKeySchema);
    const patch = keyPatch(input, new Date());
    await requireTeam(c.get("deps").sql, input.team_id);
    await requireUser(c.get("deps").sql, input.user_id);
    return patchKey(c, input.key, patch);
  });

  app.post("/key/block", async (c) =>
    patchKey(c, (await readBody(c, keyRefBodySchema)).key, { blocked: true }),
  );
  app.post("/key/unblock", async (c) =>
    patchKey(c, (await readBody(c, keyRefBodySchema)).key, { blocked: false }),
  );

  app.post("/key/delete", async (c) => {
    const deleted = await deleteNamedKeys(c.get("deps").sql, await readBody(c, deleteKeysSchema));
    await announceKeyChanges(c, deleted);
    return c.json({ deleted_keys: deleted });
  });

  app.get("/key/list", async (c) => {
    const query = readQuery(c, listKeysQuerySchema);
    const page = query.page ?? 1;
    const size = query.size ?? 10;
    const { keys, total } = await listKeys(c.get("deps").sql, {
      teamId: query.team_id,
      userId: query.user_id,
      keyAlias: query.key_alias,
      page,
      size,
    });
    return c.json({
      keys: query.return_full_object === true ? keys.map(keyView) : keys.map((key) => key.keyHash),
      total_count: total,
      current_page: page,
      total_pages: Math.ceil(total / size),
    });
  });

  return app;
}
