import type { Deployment } from "../config/deployment";
import type { DatabaseModel } from "./model-layer";

/** `litellm_params` fields that are, or may hold, credentials: never shown. */
const SECRET_PARAM = /api_key|secret|session_token|credentials|password|access_key|token_provider/i;

const defined = (record: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(record).filter(([key, value]) => value !== undefined && !SECRET_PARAM.test(key)),
  );

/** One entry of LiteLLM's `/model/info` answer. */
export interface ModelInfoEntry {
  readonly model_name: string;
  readonly litellm_params: Record<string, unknown>;
  readonly model_info: Record<string, unknown>;
}

/** A model from the config file, as `/model/info` shows it: rebuilt from what the gateway serves. */
export function fileModelView(d: Deployment): ModelInfoEntry {
  return {
    model_name: d.modelGroup,
    litellm_params: defined({
      model: `${d.provider}/${d.model}`,
      api_base: d.apiBase,
      api_version: d.apiVersion,
      organization: d.organization,
      rpm: d.rpm,
      tpm: d.tpm,
      weight: d.weight,
      timeout: d.timeoutMs / 1000,
      max_retries: d.maxRetries,
      ...d.params,
    }),
    model_info: defined({
      id: d.id,
      db_model: false,
      mode: d.mode,
      input_cost_per_token: d.inputCostPerToken,
      output_cost_per_token: d.outputCostPerToken,
      max_input_tokens: d.maxInputTokens,
      max_output_tokens: d.maxOutputTokens,
    }),
  };
}

/** A model from the database, as written through the API, credentials removed. */
export function databaseModelView(m: DatabaseModel): ModelInfoEntry {
  return {
    model_name: m.entry.model_name,
    litellm_params: defined({ ...m.entry.litellm_params }),
    model_info: {
      ...m.entry.model_info,
      id: m.id,
      db_model: true,
      created_at: m.createdAt.toISOString(),
      created_by: m.createdBy,
      updated_at: m.updatedAt.toISOString(),
      updated_by: m.updatedBy,
    },
  };
}
