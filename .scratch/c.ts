import { loadConfig, ConfigError } from "../shared/config/load";
const tryLoad = (t: string, env = {}) => { try { const r = loadConfig(t, env); console.log("OK", r.warnings, r.config.deployments.map(d=>[d.id,d.apiBase,d.apiKey,d.timeoutMs, d.apiVersion]), r.config.masterKey, r.config.router.numRetries); } catch (e) { console.log(e instanceof ConfigError ? e.problems : e); } };
tryLoad(`model_list:
  - model_name: a
    litellm_params: { model: mock/a }
router_settings:
  redis_host: os.environ/REDIS_HOST
general_settings:
  database_url: os.environ/DATABASE_URL
`);
tryLoad(`model_list:
  - model_name: a
    litellm_params: { model: groq/llama, custom_llm_provider: groq }
  - model_name: a
    litellm_params: { model: groq/llama }
  - model_name: a
    litellm_params: { model: groq/llama }
  - model_name: b
    litellm_params: { model: groq/llama }
router_settings:
  fallbacks: [{ a: [c, b] }]
`);
tryLoad(`model_list:
  - model_name: a
    litellm_params: { model: azure/a, api_base: "https://x.openai.azure.com/" }
  - model_name: a
    litellm_params: { model: anthropic/claude }
`, {ANTHROPIC_API_KEY: "k", AZURE_API_KEY: ""});
