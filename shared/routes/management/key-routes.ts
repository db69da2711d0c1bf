import { type Context, Hono } from "hono";
import { badRequest, forbidden } from "../../errors";
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
  rekey,
  updateKey,
} from "../../store/tables/keys";
import { announceKeyChanges, resetLiveSpend } from "./announce";
import { notFound, rethrowConstraint } from "./errors";
import { readBody, readOptionalBody, readQuery } from "./input";
import {
  deleteKeysSchema,
  generateKeySchema,
  KEY_HEADER,
  keyFromHeaderOrQuery,
  keyInfoQuerySchema,
  keyPatch,
  keyRefBodySchema,
  keyRefSchema,
  listKeysQuerySchema,
  regenerateKeySchema,
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

/** Where `/key/regenerate` was told which key: in the path, in the body, not both. */
function regeneratedKey(inPath: string | undefined, inBody: string | undefined): string {
  if (inPath !== undefined && inBody !== undefined) {
    throw badRequest("key: name the key either in the path or in the body, not both", "key");
  }
  const ref = inPath ?? inBody;
  if (ref === undefined) throw badRequest("key: required (the key or its hash)", "key");
  const parsed = keyRefSchema.safeParse(ref);
  if (!parsed.success) {
    throw badRequest("key: expected a key (sk-...) or its hash (64 hex characters)", "key");
  }
  return parsed.data;
}

/**
 * LiteLLM's `/key/regenerate`: a new secret for an existing key, which keeps its limits, spend and
 * budget window (the body may change them as `/key/update` does). The old secret is refused on
 * every replica as soon as the change is announced.
 */
async function regenerateKey(c: Context<GatewayEnv>, inPath: string | undefined): Promise<Response> {
  const input =
    inPath === undefined
      ? await readBody(c, regenerateKeySchema)
      : await readOptionalBody(c, regenerateKeySchema);
  if (input.new_master_key !== undefined) {
    throw badRequest(
      "new_master_key: the master key is not rotated through the API here; change general_settings.master_key (or LITELLM_MASTER_KEY) and the config reloads",
      "new_master_key",
    );
  }
  const oldHash = await resolveKeyHash(regeneratedKey(inPath, input.key));
  const secret = input.new_key ?? generateKey();
  const newHash = await hashKey(secret);
  if (newHash === oldHash) throw badRequest("new_key: must differ from the key it replaces", "new_key");
  const { sql } = c.get("deps");
  const patch = keyPatch(input, new Date());
  await requireTeam(sql, input.team_id);
  await requireUser(sql, input.user_id);
  const record = await rekey(sql, oldHash, { keyHash: newHash, keyName: keyName(secret) }, patch).catch(
    (error: unknown) => rethrowConstraint(error, { ...KEY_CONSTRAINTS, routeiq_keys_pkey: "new_key" }),
  );
  if (record === undefined) throw keyNotFound();
  if (patch.spend !== undefined) await resetLiveSpend(c, [{ scope: "key", id: newHash }]);
  // The old hash so every replica drops the key it cached; the new one in case it was remembered as unknown.
  await announceKeyChanges(c, [oldHash, newHash]);
  return c.json({ key: secret, ...keyView(record), token_id: newHash });
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

/**
 * LiteLLM's virtual key API: `/key/generate`, `/key/info`, `/key/health`, `/key/update`,
 * `/key/regenerate`, `/key/block`, `/key/unblock`, `/key/delete`, `/key/list`.
 */
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
    const principal = c.get("principal");
    // A virtual key may read its own info (LiteLLM: no key named means the caller's), and only that.
    if (principal?.kind === "virtual_key") {
      if (ref !== undefined && (await resolveKeyHash(ref)) !== principal.keyHash) {
        throw forbidden(
          "not_own_key",
          "a virtual key may read only its own /key/info; other keys need the master key",
        );
      }
      return c.json({
        key: principal.keyHash,
        info: keyView(await findKey(c.get("deps").sql, principal.keyHash)),
      });
    }
    if (ref === undefined) {
      throw badRequest(`key: required; send it in the ${KEY_HEADER} header (or as ?key=)`, "key");
    }
    const key = await findKey(c.get("deps").sql, ref);
    return c.json({ key: key.keyHash, info: keyView(key) });
  });

  // LiteLLM checks the calling key's logging callbacks; RouteIQ has none per key, so a key that
  // passed authentication (not blocked, not expired) is healthy.
  app.post("/key/health", (c) => c.json({ key: "healthy", logging_callbacks: null }));

  app.post("/key/regenerate", (c) => regenerateKey(c, undefined));
  app.post("/key/:key/regenerate", (c) => regenerateKey(c, c.req.param("key")));

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
