import { z } from "zod";
import { cacheSettingsSchema } from "../cache/settings";
import { allowedRouteProblem } from "../http/allowed-routes";
import { durationSchema } from "../keys/duration";
import { keyCacheSettingsSchema } from "../keys/key-cache-settings";
import { learnedRoutingSchema } from "../learned/settings";
import { mcpServersConfigSchema } from "../mcp/server-spec";
import { responsesSettingsSchema } from "../responses-api/settings";
import { strategyNames } from "../router/strategies";
import { cloudParamsShape } from "./cloud-params";
import { databaseUrlSchema } from "./database-url";

/**
 * LiteLLM's `config.yaml`, validated. Objects are loose: keys LiteLLM accepts but we do not use
 * are kept (and warned about by `unknownKeys`), never fatal.
 */
const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

/**
 * Durations reach setTimeout (which fires at once past 2^31-1 ms, about 24.8 days) and Redis
 * expiries, so each is bounded. An hour is longer than any model call or retry wait should take.
 */
const MAX_WAIT_SECONDS = 3_600;
const MAX_COOLDOWN_SECONDS = 86_400;
const MAX_CACHE_TTL_SECONDS = 365 * 86_400;

const seconds = (min: "positive" | "nonnegative", max: number) =>
  (min === "positive"
    ? z.number().positive({ message: "expected a positive number of seconds" })
    : z.number().nonnegative({ message: "expected 0 or more seconds" })
  ).max(max, { message: `expected at most ${max} seconds` });
const waitSeconds = seconds("positive", MAX_WAIT_SECONDS);
const mockMilliseconds = nonNegative.max(MAX_WAIT_SECONDS * 1000, {
  message: `expected at most ${MAX_WAIT_SECONDS * 1000} ms`,
});

export const litellmParamsSchema = z.looseObject({
  // `<provider>/<model>`, a well-known model name, or a wildcard template: read by model-string.ts.
  model: z.string().min(1),
  api_base: z.url().optional(),
  api_key: z.string().optional(),
  api_version: z.string().optional(),
  rpm: positiveInt.optional(),
  tpm: positiveInt.optional(),
  weight: z.number().positive().optional(),
  timeout: waitSeconds.optional(),
  stream_timeout: waitSeconds.optional(),
  max_retries: z.number().int().nonnegative().optional(),
  extra_headers: z.record(z.string(), z.string()).optional(),
  organization: z.string().optional(),
  mock_response: z.string().optional(),
  mock_latency_ms: mockMilliseconds.optional(),
  mock_chunk_latency_ms: mockMilliseconds.optional(),
  mock_failure_rate: z.number().min(0).max(1).optional(),
  mock_failure_status: z.number().int().min(400).max(599).optional(),
  ...cloudParamsShape,
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
  /** The model a wildcard route is probed with by `GET /health` (LiteLLM's name for it). */
  health_check_model: z.string().min(1).optional(),
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
  retry_after: seconds("nonnegative", MAX_WAIT_SECONDS).default(0),
  timeout: waitSeconds.optional(),
  fallbacks: fallbackList,
  context_window_fallbacks: fallbackList,
  allowed_fails: positiveInt.default(3),
  cooldown_time: seconds("nonnegative", MAX_COOLDOWN_SECONDS).default(5),
});

export const generalSettingsSchema = z.looseObject({
  master_key: z.string().min(1).optional(),
  /** Read when the process starts; wins over DATABASE_URL, as in LiteLLM. */
  database_url: databaseUrlSchema.optional(),
  /** Read when the process starts: models added through /model/new (STORE_MODEL_IN_DB, which wins when set). */
  store_model_in_db: z.boolean().optional(),
  max_request_size_mb: z.number().positive().default(10),
  global_max_parallel_requests: positiveInt.optional(),
  /** When Redis is unreachable: `open` serves without rate limits and budgets (logged, counted); `closed` answers 503. */
  rate_limit_fail_mode: z.enum(["open", "closed"]).default("open"),
  /** How long spend log rows are kept (`30d`); whole days past it are dropped. Absent: kept for ever. */
  maximum_spend_logs_retention_period: durationSchema.optional(),
  ...keyCacheSettingsSchema.shape,
  ...responsesSettingsSchema.shape,
  /** The only routes served (LiteLLM's meaning); absent: all. */
  allowed_routes: z
    .array(
      z.string().superRefine((entry, ctx) => {
        const problem = allowedRouteProblem(entry);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .optional(),
});

const cacheParamsSchema = cacheSettingsSchema.shape.cache_params.unwrap().unwrap();

export const litellmSettingsSchema = z.looseObject({
  num_retries: z.number().int().nonnegative().optional(),
  request_timeout: waitSeconds.optional(),
  require_auth_for_metrics_endpoint: z.boolean().default(false),
  /** USD across all requests; 0 (LiteLLM's default) means none. */
  max_budget: nonNegative.optional(),
  budget_duration: durationSchema.optional(),
  ...cacheSettingsSchema.shape,
  // The cache's own schema, with its ttl bounded: it becomes a Redis expiry in milliseconds.
  cache_params: cacheParamsSchema
    .extend({ ttl: seconds("positive", MAX_CACHE_TTL_SECONDS).optional() })
    .nullish(),
});

export const configSchema = z.looseObject({
  model_list: z.array(modelEntrySchema).default([]),
  router_settings: routerSettingsSchema.default(() => routerSettingsSchema.parse({})),
  litellm_settings: litellmSettingsSchema.default(() => litellmSettingsSchema.parse({})),
  general_settings: generalSettingsSchema.default(() => generalSettingsSchema.parse({})),
  /** RouteIQ's own: learned routers per model group (docs/learned-routing.md). */
  learned_routing: learnedRoutingSchema.optional(),
  /** Upstream MCP servers the MCP gateway serves (LiteLLM's shape; docs/mcp-a2a.md). */
  mcp_servers: mcpServersConfigSchema.optional(),
});

export type GatewayConfigFile = z.infer<typeof configSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type RouterSettings = z.infer<typeof routerSettingsSchema>;
export type LitellmSettings = z.infer<typeof litellmSettingsSchema>;
export type GeneralSettings = z.infer<typeof generalSettingsSchema>;

/** Keys that are ours to read, per object; anything else is tolerated and reported once. */
export const knownKeys = Object.freeze({
  root: Object.keys(configSchema.shape),
  model_list: Object.keys(modelEntrySchema.shape),
  litellm_params: Object.keys(litellmParamsSchema.shape),
  model_info: Object.keys(modelInfoSchema.shape),
  router_settings: Object.keys(routerSettingsSchema.shape),
  general_settings: Object.keys(generalSettingsSchema.shape),
  litellm_settings: Object.keys(litellmSettingsSchema.shape),
  cache_params: Object.keys(cacheParamsSchema.shape),
});
