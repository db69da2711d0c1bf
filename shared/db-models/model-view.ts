import type { Deployment } from "../config/deployment";
import { displayUrl } from "../config/display-url";
import type { DatabaseModel } from "./model-layer";

/**
 * The `litellm_params` fields shown, and nothing else: a field not named here (an `extra_headers`
 * value, a token under a name we do not know) may hold a credential.
 */
const SHOWN_PARAMS: ReadonlySet<string> = new Set([
  "model",
  "api_base",
  "api_version",
  "organization",
  "rpm",
  "tpm",
  "weight",
  "timeout",
  "max_retries",
  "aws_region_name",
  "vertex_project",
  "vertex_location",
  "mock_response",
]);

/** The `model_info` fields shown, besides the gateway's own (id, where it came from). */
const SHOWN_INFO: ReadonlySet<string> = new Set([
  "id",
  "mode",
  "base_model",
  "input_cost_per_token",
  "output_cost_per_token",
  "max_input_tokens",
  "max_output_tokens",
  "health_check_model",
]);

function shown(record: Record<string, unknown>, names: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || !names.has(key)) continue;
    out[key] = key === "api_base" && typeof value === "string" ? displayUrl(value) : value;
  }
  if (record.extra_headers !== null && typeof record.extra_headers === "object") {
    // Which headers are sent, never what they hold.
    out.extra_headers = Object.fromEntries(
      Object.keys(record.extra_headers).map((name) => [name, "(hidden)"]),
    );
  }
  return out;
}

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
    litellm_params: shown(
      {
        ...d.params,
        model: `${d.provider}/${d.model}`,
        api_base: d.apiBase,
        api_version: d.apiVersion,
        organization: d.organization,
        rpm: d.rpm,
        tpm: d.tpm,
        weight: d.weight,
        timeout: d.timeoutMs / 1000,
        max_retries: d.maxRetries,
        extra_headers: Object.keys(d.extraHeaders).length === 0 ? undefined : d.extraHeaders,
      },
      SHOWN_PARAMS,
    ),
    model_info: {
      ...shown(
        {
          id: d.id,
          mode: d.mode,
          input_cost_per_token: d.inputCostPerToken,
          output_cost_per_token: d.outputCostPerToken,
          max_input_tokens: d.maxInputTokens,
          max_output_tokens: d.maxOutputTokens,
        },
        SHOWN_INFO,
      ),
      db_model: false,
    },
  };
}

/** A model from the database, as written through the API, credentials removed. */
export function databaseModelView(m: DatabaseModel): ModelInfoEntry {
  return {
    model_name: m.entry.model_name,
    litellm_params: shown({ ...m.entry.litellm_params }, SHOWN_PARAMS),
    model_info: {
      ...shown({ ...m.entry.model_info }, SHOWN_INFO),
      id: m.id,
      db_model: true,
      created_at: m.createdAt.toISOString(),
      created_by: m.createdBy,
      updated_at: m.updatedAt.toISOString(),
      updated_by: m.updatedBy,
    },
  };
}
