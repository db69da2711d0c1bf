import { type Context, Hono } from "hono";
import type { Env } from "../config/load";
import type { RuntimeConfig } from "../config/runtime-config";
import { badRequest, GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import { notFound, rethrowConstraint } from "../routes/management/errors";
import { readBody, readQuery } from "../routes/management/input";
import { toDeployment } from "./model-entry";
import { MODELS_CHANNEL, type ModelFollower } from "./model-follower";
import {
  deleteModelSchema,
  type ModelPatch,
  modelInfoQuerySchema,
  newModelSchema,
  patchModelSchema,
  updateModelSchema,
} from "./model-input";
import { databaseModelView, fileModelView } from "./model-view";
import { getModelRow, type ModelChange, writeModelChange } from "./models-table";
import type { ParamsBox } from "./sealed-params";

/** The database side of the model API; undefined when STORE_MODEL_IN_DB is off. */
export interface ModelStore {
  readonly box: ParamsBox;
  readonly follower: ModelFollower;
  readonly env: Env;
}

/** Who made a change: only the master key may, and it names no user. */
const ACTOR = "master_key";

/** LiteLLM's answer when the flag is off, with its status. */
const storeDisabled = () =>
  new GatewayError({
    status: 500,
    type: "api_error",
    code: "store_model_in_db_disabled",
    message: "Set `'STORE_MODEL_IN_DB='True'` in your env to enable this feature.",
  });

const readOnly = (id: string, param: string) =>
  badRequest(
    `${param}: model "${id}" is defined in the config file; models from the file are read-only through the API`,
    param,
    "model_read_only",
  );

const modelNotFound = (id: string, param: string) =>
  notFound(`${param}: no database model with id "${id}"`, param, "model_not_found");

/** Merges a patch key by key; a null value removes its key. */
const merged = (base: Readonly<Record<string, unknown>>, patch: Readonly<Record<string, unknown>> = {}) =>
  Object.fromEntries(
    Object.entries({ ...base, ...patch }).filter(([key]) => !(key in patch && patch[key] === null)),
  );

const changedFields = (patch: ModelPatch): string[] => [
  ...(patch.model_name === undefined ? [] : ["model_name"]),
  ...Object.keys(patch.litellm_params ?? {}).map((key) => `litellm_params.${key}`),
  ...Object.keys(patch.model_info ?? {})
    .filter((key) => key !== "id")
    .map((key) => `model_info.${key}`),
];

/** How often an update is recomputed when other writers keep changing the same model. */
const UPDATE_ATTEMPTS = 5;

/**
 * LiteLLM's model management API. Writes need STORE_MODEL_IN_DB; each is validated like a config
 * entry, stored sealed with its audit row, applied on this replica before the answer, and
 * announced so every other replica applies it too (polling catches a missed announcement).
 */
export function modelRoutes(options: {
  readonly store: ModelStore | undefined;
  /** The config without the database models: the file's models, which the API only reads. */
  readonly fileConfig: () => RuntimeConfig;
}): Hono<GatewayEnv> {
  const { fileConfig } = options;
  const app = new Hono<GatewayEnv>();
  const requireStore = (): ModelStore => {
    if (options.store === undefined) throw storeDisabled();
    return options.store;
  };
  const isFileModel = (id: string) => fileConfig().deployments.some((d) => d.id === id);

  /** Writes one change, applies it here and tells the other replicas. */
  const commit = async (
    c: Context<GatewayEnv>,
    store: ModelStore,
    change: Omit<ModelChange, "actor" | "requestId">,
    row: Parameters<typeof writeModelChange>[2],
    { missing = "not_found" }: { readonly missing?: "not_found" | "retry" } = {},
  ): Promise<number | undefined> => {
    const { sql, kv, logger } = c.get("deps");
    const revision = await writeModelChange(
      sql,
      { ...change, actor: ACTOR, requestId: c.get("requestId") },
      row,
    ).catch((error: unknown) => rethrowConstraint(error, { routeiq_models_pkey: "model_info.id" }));
    if (revision === undefined) {
      if (missing === "retry") return undefined;
      throw modelNotFound(change.modelId, "id");
    }
    await store.follower.checkAtLeast(revision);
    await kv.publish(MODELS_CHANNEL, String(revision)).catch((error: unknown) =>
      logger.warn("could not announce a model change; replicas pick it up by polling", {
        error: String(error),
      }),
    );
    return revision;
  };

  const viewOf = (store: ModelStore, id: string) => {
    const model = store.follower.layer.models.find((m) => m.id === id);
    return model === undefined ? undefined : databaseModelView(model);
  };

  app.post("/model/new", async (c) => {
    const store = requireStore();
    const body = await readBody(c, newModelSchema);
    const id = body.model_info?.id ?? crypto.randomUUID();
    if (isFileModel(id))
      throw badRequest(
        `model_info.id: "${id}" is already a model in the config file`,
        "model_info.id",
        "duplicate",
      );
    const { entry } = toDeployment(body, id, store.env);
    await commit(
      c,
      store,
      {
        action: "create",
        modelId: id,
        fields: ["model_name", ...Object.keys(entry.litellm_params).map((k) => `litellm_params.${k}`)],
      },
      {
        modelId: id,
        modelName: entry.model_name,
        litellmParamsSealed: await store.box.seal(id, entry.litellm_params),
        modelInfo: { ...entry.model_info, id },
      },
    );
    return c.json({ model_id: id, ...viewOf(store, id) });
  });

  const update = async (c: Context<GatewayEnv>, id: string, patch: ModelPatch, param: string) => {
    const store = requireStore();
    if (isFileModel(id)) throw readOnly(id, param);
    const { sql } = c.get("deps");
    // Read, merge, write if nothing changed since the read; another writer in between means again.
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt++) {
      const row = await getModelRow(sql, id);
      if (row === undefined) throw modelNotFound(id, param);
      // A box sealed under a rotated key does not open: the update must then bring every param again.
      const params = (await store.box.open(id, row.litellmParamsSealed)) ?? {};
      const next = {
        model_name: patch.model_name ?? row.modelName,
        litellm_params: merged(params, patch.litellm_params),
        model_info: { ...merged(row.modelInfo, patch.model_info), id },
      };
      const { entry } = toDeployment(next, id, store.env);
      const written = await commit(
        c,
        store,
        { action: "update", modelId: id, fields: changedFields(patch) },
        {
          modelId: id,
          modelName: entry.model_name,
          litellmParamsSealed: await store.box.seal(id, entry.litellm_params),
          modelInfo: { ...entry.model_info, id },
          replaces: row.litellmParamsSealed,
        },
        { missing: "retry" },
      );
      if (written !== undefined) return c.json({ model_id: id, ...viewOf(store, id) });
    }
    throw new GatewayError({
      status: 409,
      type: "invalid_request_error",
      code: "model_changed_concurrently",
      param,
      message: `model ${id} kept changing while this update was applied; send it again`,
    });
  };

  app.post("/model/update", async (c) => {
    const body = await readBody(c, updateModelSchema);
    return update(c, body.model_info.id, body, "model_info.id");
  });

  app.patch("/model/:model_id/update", async (c) => {
    const body = await readBody(c, patchModelSchema);
    return update(c, c.req.param("model_id"), body, "model_id");
  });

  app.post("/model/delete", async (c) => {
    const store = requireStore();
    const { id } = await readBody(c, deleteModelSchema);
    // A database model a later file model's id hides can still be deleted: it is the database's row.
    if (isFileModel(id) && (await getModelRow(c.get("deps").sql, id)) === undefined) throw readOnly(id, "id");
    await commit(c, store, { action: "delete", modelId: id, fields: [] }, undefined);
    return c.json({ message: `Model: ${id} deleted successfully` });
  });

  const info = (c: Context<GatewayEnv>) => {
    const { litellm_model_id: id } = readQuery(c, modelInfoQuerySchema);
    const data = [
      ...fileConfig().deployments.map(fileModelView),
      ...(options.store?.follower.layer.models.map(databaseModelView) ?? []),
    ].filter((entry) => id === undefined || entry.model_info.id === id);
    return c.json({ data });
  };
  app.get("/model/info", info);
  app.get("/v1/model/info", info);
  return app;
}
