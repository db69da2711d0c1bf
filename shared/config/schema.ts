import { z } from "zod";
import { cacheSettingsSchema } from "../cache/settings";
import { keyCacheSettingsSchema } from "../keys/key-cache-settings";
import { strategyNames } from "../router/strategies";
import { knownProviders } from "./providers";

/**
 * LiteLLM's `config.yaml`, validated. Objects are loose: keys LiteLLM accepts but we do not use
 * are kept (and warned about by `unknownKeys`), never fatal.
 */
const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

const providerModel = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/.+$/, {
    message: 'expected "<provider>/<model>", e.g. "openai/gpt-4o"',
    abort: true,
  })
  .refine((value) => knownProviders.includes(value.slice(0, value.indexOf("/"))), {
    message: `unknown provider; expected one of: ${knownProviders.join(", ")}`,
  });

export const litellmParamsSchema = z.looseObject({
  model: providerModel,
  api_base: z.url().optional(),
  api_key: z.string().optional(),
  api_version: z.string().optional(),
  rpm: positiveInt.optional(),
  tpm: positiveInt.optional(),
  weight: z.number().positive().optional(),
  timeout: z.number().positive().optional(),
  stream_timeout: z.number().positive().optional(),
  max_retries: z.number().int().nonnegative().optional(),
  extra_headers: z.record(z.string(), z.string()).optional(),
  organization: z.string().optional(),
  mock_response: z.string().optional(),
  mock_latency_ms: nonNegative.optional(),
  mock_chunk_latency_ms: nonNegative.optional(),
  mock_failure_rate: z.number().min(0).max(1).optional(),
  mock_failure_status: z.number().int().min(400).max(599).optional(),
});

export const modelInfoSchema = z.looseObject({
  id: z.string().min(1).optional(),
  mode: z.enum(["chat", "completion", "embedding"]).optional(),
  input_cost_per_token: nonNegative.optional(),
  output_cost_per_token: nonNegative.optional(),
  max_input_tokens: positiveInt.optional(),
  max_output_tokens: positiveInt.optional(),
  max_tokens: positiveInt.optional(),
  base_model: z.string().optional(),
});

export const modelEntrySchema = z.looseObject({
  model_name: z.string().min(1),
  litellm_params: litellmParamsSchema,
  model_info: modelInfoSchema.optional(),
});

/** `[{"gpt-4o": ["gpt-4o-mini"]}]`: each entry maps one model group to its fallbacks, in order. */
const fallbackList = z.array(z.record(z.string(), z.array(z.string()))).default([]);

export const routerSettingsSchema = z.looseObject({
  routing_strategy: z.enum(strategyNames).default("simple-shuffle"),
  routing_strategy_args: z.record(z.string(), z.unknown()).default({}),
  num_retries: z.number().int().nonnegative().optional(),
  retry_after: nonNegative.default(0),
  timeout: z.number().positive().optional(),
  fallbacks: fallbackList,
  context_window_fallbacks: fallbackList,
  allowed_fails: positiveInt.default(3),
  cooldown_time: nonNegative.default(5),
});

export const generalSettingsSchema = z.looseObject({
  master_key: z.string().min(1).optional(),
  max_request_size_mb: z.number().positive().default(10),
  global_max_parallel_requests: positiveInt.optional(),
  /** When Redis is unreachable: `open` serves without rate limits and budgets (logged, counted); `closed` answers 503. */
  rate_limit_fail_mode: z.enum(["open", "closed"]).default("open"),
  ...keyCacheSettingsSchema.shape,
});

export const litellmSettingsSchema = z.looseObject({
  num_retries: z.number().int().nonnegative().optional(),
  request_timeout: z.number().positive().optional(),
  require_auth_for_metrics_endpoint: z.boolean().default(false),
  ...cacheSettingsSchema.shape,
});

export const configSchema = z.looseObject({
  model_list: z.array(modelEntrySchema).default([]),
  router_settings: routerSettingsSchema.default(() => routerSettingsSchema.parse({})),
  litellm_settings: litellmSettingsSchema.default(() => litellmSettingsSchema.parse({})),
  general_settings: generalSettingsSchema.default(() => generalSettingsSchema.parse({})),
});

export type GatewayConfigFile = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type RouterSettings = z.infer<typeof routerSettingsSchema>;

/** Keys that are ours to read, per object; anything else is tolerated and reported once. */
export const knownKeys = Object.freeze({
  root: Object.keys(configSchema.shape),
  model_list: Object.keys(modelEntrySchema.shape),
  litellm_params: Object.keys(litellmParamsSchema.shape),
  model_info: Object.keys(modelInfoSchema.shape),
  router_settings: Object.keys(routerSettingsSchema.shape),
  general_settings: Object.keys(generalSettingsSchema.shape),
  litellm_settings: Object.keys(litellmSettingsSchema.shape),
});
