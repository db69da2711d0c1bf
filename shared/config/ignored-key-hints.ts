const REDIS =
  "RouteIQ's Redis is set by REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) in the gateway's environment";

/**
 * What to use instead of a LiteLLM key RouteIQ ignores, where it has an equivalent. Keyed by the
 * key's path, `[]` standing for any index of a list. A warning for a key not listed here says only
 * that it is ignored.
 */
export const IGNORED_KEY_HINTS = Object.freeze({
  environment_variables: "set them in the gateway's environment; a config never sets variables",
  "router_settings.redis_host": REDIS,
  "router_settings.redis_port": REDIS,
  "router_settings.redis_password": REDIS,
  "router_settings.redis_url": REDIS,
  "router_settings.enable_pre_call_checks":
    "RouteIQ always skips deployments whose model_info.max_input_tokens the prompt exceeds",
  "router_settings.retry_policy": "use router_settings.num_retries and fallbacks",
  "router_settings.cache_responses": "use litellm_settings.cache: true",
  "general_settings.database_connection_pool_limit": "use DATABASE_POOL_MAX in the environment",
  "general_settings.proxy_batch_write_at": "RouteIQ always writes spend rows in batches",
  "general_settings.background_health_checks": "use GET /health (on demand) and /health/readiness",
  "general_settings.health_check_interval": "use GET /health (on demand) and /health/readiness",
  "litellm_settings.drop_params":
    "RouteIQ always leaves out the parameters a provider has no field for, and answers 400 naming a parameter whose value it cannot honour (n > 1 on Bedrock)",
  "litellm_settings.set_verbose": "use LITELLM_LOG=DEBUG (or LOG_LEVEL=debug) in the environment",
  "litellm_settings.json_logs": "RouteIQ always logs JSON lines",
  "litellm_settings.turn_off_message_logging": "RouteIQ never logs prompts or answers",
  "litellm_settings.redact_user_api_key_info": "RouteIQ never logs keys, only an alias or a hash prefix",
  "model_list[].litellm_params.custom_llm_provider":
    'write the provider as the model\'s prefix, e.g. model: "openai/gpt-4o"',
  "model_list[].litellm_params.input_cost_per_token": "set it under model_info",
  "model_list[].litellm_params.output_cost_per_token": "set it under model_info",
} satisfies Record<string, string>);

/** The hint for an ignored key's path (`["model_list", 3, "litellm_params", "custom_llm_provider"]`). */
export function ignoredKeyHint(path: readonly PropertyKey[]): string | undefined {
  let key = "";
  for (const part of path) {
    if (typeof part === "number") key += "[]";
    else key += key === "" ? String(part) : `.${String(part)}`;
  }
  const hints: Readonly<Record<string, string>> = IGNORED_KEY_HINTS;
  return Object.hasOwn(hints, key) ? hints[key] : undefined;
}
