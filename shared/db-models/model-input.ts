import { z } from "zod";

const params = z.record(z.string(), z.unknown());

/** `POST /model/new`: LiteLLM's Deployment; each field is checked by the config's own schema after. */
export const newModelSchema = z.looseObject({
  model_name: z.unknown(),
  litellm_params: z.unknown(),
  model_info: z.looseObject({ id: z.string().min(1).optional() }).optional(),
});

/** `PATCH /model/{id}/update`: the fields to change; `litellm_params` and `model_info` are merged key by key. */
export const patchModelSchema = z.looseObject({
  model_name: z.string().min(1).optional(),
  litellm_params: params.optional(),
  model_info: params.optional(),
});

/** `POST /model/update`: the same, with the model named by `model_info.id`. */
export const updateModelSchema = patchModelSchema.extend({
  model_info: z.looseObject({ id: z.string().min(1) }),
});

export const deleteModelSchema = z.looseObject({ id: z.string().min(1) });

export const modelInfoQuerySchema = z.looseObject({ litellm_model_id: z.string().min(1).optional() });

export type ModelPatch = z.infer<typeof patchModelSchema>;
