// biome-ignore lint/style/noRestrictedImports: a test, not shipped code: it reads the shipped config/config.yaml.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, type Env, type LoadedConfig, loadConfig } from "./load";

const load = (config: Record<string, unknown>, env: Env = {}): LoadedConfig =>
  loadConfig(stringify(config), env, "test.yaml");

/** The problems a config is refused for; fails the test when it loads. */
function problemsOf(config: Record<string, unknown> | string, env: Env = {}): readonly string[] {
  try {
    loadConfig(typeof config === "string" ? config : stringify(config), env, "test.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

const mock = (model_name: string, model = "mock/x", extra: Record<string, unknown> = {}) => ({
  model_name,
  litellm_params: { model, ...extra },
});

const deployment = (loaded: LoadedConfig, index: number) => {
  const d = loaded.config.deployments[index];
  if (d === undefined) throw new Error(`no deployment ${index}`);
  return d;
};

describe("loadConfig: problems", () => {
  it("explains a model string with no provider that is not a well-known model, with its path and the fix", () => {
    const problems = problemsOf({ model_list: [mock("a"), mock("b"), mock("c", "my-model")] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^model_list\[2\]\.litellm_params\.model: "my-model" has no provider and is not a model RouteIQ knows the provider of; write "<provider>\/<model>", e\.g\. "openai\/my-model" or "hosted_vllm\/my-model" \(providers: openai, /,
    );
  });

  it("lists the known providers for an unknown one", () => {
    const problems = problemsOf({ model_list: [mock("a", "bedrock-ish/claude")] });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^model_list\[0\]\.litellm_params\.model: "bedrock-ish\/claude" names an unknown provider "bedrock-ish"; expected "<provider>\/<model>" with one of: /,
    );
    for (const provider of ["openai", "azure", "anthropic", "groq", "hosted_vllm", "mock"]) {
      expect(problems[0]).toContain(provider);
    }
  });

  it("reports the whole-config checks together with the schema's problems", () => {
    const problems = problemsOf({
      model_list: [
        { model_name: "a", litellm_params: { model: "openai/x", rpm: -1 } },
        { model_name: "b", litellm_params: { model: "my-model" } },
        { model_name: "c", litellm_params: { model: "openai/y", api_base: "http://169.254.169.254/v1" } },
      ],
      router_settings: { fallbacks: [{ a: ["nope", "b"] }] },
      general_settings: { max_request_size_mb: "big" },
    });
    expect(problems).toHaveLength(5);
    expect(problems.some((p) => p.startsWith("model_list[0].litellm_params.rpm: "))).toBe(true);
    expect(problems.some((p) => p.startsWith("general_settings.max_request_size_mb: "))).toBe(true);
    expect(
      problems.some((p) => p.startsWith('model_list[1].litellm_params.model: "my-model" has no provider')),
    ).toBe(true);
    expect(problems.some((p) => p.startsWith("model_list[2].litellm_params.api_base: "))).toBe(true);
    // "a" failed the schema but is written in the config: only "nope" is unknown.
    expect(problems).toContain('router_settings.fallbacks[0].a: unknown model group "nope"; known: a, b, c');
  });

  it("lists every problem at once, each with its path", () => {
    const problems = problemsOf({
      model_list: [
        { model_name: "a", litellm_params: { model: "openai/x", api_base: "not a url", rpm: -1 } },
        { litellm_params: { model: "mock/x" } },
      ],
      router_settings: { routing_strategy: "fastest" },
      general_settings: { master_key: "os.environ/LITELLM_MASTER_KEY" },
    });
    expect(problems).toHaveLength(5);
    expect(problems).toContain(
      "general_settings.master_key: environment variable LITELLM_MASTER_KEY is not set (referenced as os.environ/LITELLM_MASTER_KEY)",
    );
    expect(problems).toContain("model_list[1].model_name: required");
    expect(problems.find((p) => p.startsWith("model_list[0].litellm_params.api_base: "))).toMatch(/URL/i);
    expect(problems.some((p) => p.startsWith("model_list[0].litellm_params.rpm: "))).toBe(true);
    const strategy = problems.find((p) => p.startsWith("router_settings.routing_strategy: "));
    expect(strategy).toContain("simple-shuffle");
    expect(strategy).toContain("least-busy");
  });

  it("names a missing environment variable and where it is referenced", () => {
    const problems = problemsOf({
      model_list: [mock("a", "openai/gpt-4o", { api_key: "os.environ/UNSET_TEST_API_KEY" })],
    });
    expect(problems).toEqual([
      "model_list[0].litellm_params.api_key: environment variable UNSET_TEST_API_KEY is not set (referenced as os.environ/UNSET_TEST_API_KEY)",
    ]);
  });

  it("treats an empty environment variable as missing", () => {
    const problems = problemsOf(
      { model_list: [mock("a", "openai/gpt-4o", { api_key: "os.environ/EMPTY_API_KEY" })] },
      { EMPTY_API_KEY: "" },
    );
    expect(problems).toEqual([
      "model_list[0].litellm_params.api_key: environment variable EMPTY_API_KEY is not set (referenced as os.environ/EMPTY_API_KEY)",
    ]);
  });

  it("reports a required value left empty by a missing variable once, as the variable", () => {
    const problems = problemsOf(
      { model_list: [mock("a", "os.environ/MODEL_NAME_FOR_TEST")] },
      { ROUTEIQ_CONFIG_ENV_ALLOWLIST: "MODEL_NAME_FOR_TEST" },
    );
    expect(problems).toEqual([
      "model_list[0].litellm_params.model: environment variable MODEL_NAME_FOR_TEST is not set (referenced as os.environ/MODEL_NAME_FOR_TEST)",
    ]);
  });

  it("refuses YAML that does not parse, saying where", () => {
    let error: unknown;
    try {
      loadConfig("model_list:\n  - model_name: a\n    litellm_params: { model: mock/x\n", {}, "broken.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/^yaml: .*line \d+, column \d+/);
    expect(message).toContain("invalid config broken.yaml:");
  });

  it("refuses a __proto__ key instead of letting it set inherited defaults such as a master key", () => {
    const yaml = [
      "model_list: [{model_name: a, litellm_params: {model: mock/x}}]",
      "general_settings:",
      "  __proto__:",
      "    master_key: sk-planted",
    ].join("\n");
    expect(problemsOf(yaml)).toEqual(['general_settings.__proto__: "__proto__" is not allowed as a key']);
    // The same in JSON (which the loader also reads), and deeper down.
    const json = JSON.stringify({ model_list: [mock("a")] }).replace(
      '"litellm_params":{',
      '"litellm_params":{"__proto__":{"api_key":"x"},',
    );
    expect(problemsOf(json)).toEqual([
      'model_list[0].litellm_params.__proto__: "__proto__" is not allowed as a key',
    ]);
  });

  it("refuses alias expansion past 100 uses and aliases that contain themselves", () => {
    const laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (const [name, prev] of ["ba", "cb", "dc", "ed"]) {
      laughs.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
    }
    const [problem] = problemsOf(`${laughs.join("\n")}\nmodel_list: []\n`);
    expect(problem).toMatch(/^yaml: Excessive alias count/);
    // An anchor and 99 uses of it are fine; a 100th is one too many (the library's default, pinned).
    const uses = (n: number) => `model_list: []\np: &p {k: v}\nuses: [${Array(n).fill("*p").join(", ")}]\n`;
    expect(loadConfig(uses(99), {}, "test.yaml").warnings).toEqual([
      "p: not used by RouteIQ, ignored",
      "uses: not used by RouteIQ, ignored",
    ]);
    expect(problemsOf(uses(100))[0]).toMatch(/^yaml: Excessive alias count/);
    expect(problemsOf("model_list: []\nloop: &l [*l]\n")).toEqual([
      "loop[0]: an alias must not refer to a node that contains it",
    ]);
  });

  it.each([
    ["an empty file", ""],
    ["a file of comments only", "# model_list:\n#   - model_name: demo\n"],
    ["an empty mapping", "{}"],
  ])("refuses %s: a config that is empty is never valid", (_name, text) => {
    expect(problemsOf(text)).toEqual([
      "config is empty: expected a LiteLLM config (model_list, general_settings, ...)",
    ]);
  });

  it("accepts a config with a master key and no models (management only)", () => {
    expect(load({ general_settings: { master_key: "sk-x" } }).config.groups.size).toBe(0);
  });

  it("refuses a config that is not a mapping", () => {
    expect(problemsOf("- just\n- a list\n")).toEqual([
      "(root): Invalid input: expected object, received array",
    ]);
  });

  it("refuses fallbacks to an unknown model group, listing the known ones", () => {
    const problems = problemsOf({
      model_list: [mock("gpt-4o"), mock("claude")],
      router_settings: {
        fallbacks: [{ "gpt-4o": ["claude", "gemini"] }],
        context_window_fallbacks: [{ "gpt-5": ["claude"] }],
      },
    });
    expect(problems).toEqual([
      'router_settings.fallbacks[0].gpt-4o: unknown model group "gemini"; known: gpt-4o, claude',
      'router_settings.context_window_fallbacks[0].gpt-5: unknown model group "gpt-5"; known: gpt-4o, claude',
    ]);
  });

  it("requires api_base for azure and for OpenAI-compatible servers without a default host", () => {
    const problems = problemsOf({
      model_list: [mock("a", "azure/my-deployment"), mock("b", "hosted_vllm/llama")],
    });
    expect(problems).toEqual([
      'model_list[0].litellm_params.api_base: required for provider "azure" (the server\'s base URL)',
      'model_list[1].litellm_params.api_base: required for provider "hosted_vllm" (the server\'s base URL)',
    ]);
  });

  it("refuses two deployments of one group with the same model_info.id", () => {
    const problems = problemsOf({
      model_list: [
        { ...mock("a", "mock/x"), model_info: { id: "primary" } },
        { ...mock("a", "mock/y"), model_info: { id: "primary" } },
      ],
    });
    expect(problems).toEqual(['model_list[1].model_info.id: duplicate deployment id "primary"']);
  });

  it("bounds every duration that reaches a timer or a Redis expiry, naming the field", () => {
    const problems = problemsOf({
      model_list: [
        mock("a", "mock/x", {
          timeout: 100_000_000,
          stream_timeout: 0,
          mock_latency_ms: 1e12,
          mock_chunk_latency_ms: -1,
        }),
      ],
      router_settings: { timeout: 3_601, retry_after: 1e9, cooldown_time: 86_401 },
      litellm_settings: { request_timeout: 2 ** 31, cache: true, cache_params: { ttl: 1e300 } },
    });
    expect(problems).toEqual([
      "model_list[0].litellm_params.timeout: expected at most 3600 seconds",
      "model_list[0].litellm_params.stream_timeout: expected a positive number of seconds",
      "model_list[0].litellm_params.mock_latency_ms: expected at most 3600000 ms",
      expect.stringMatching(/^model_list\[0\]\.litellm_params\.mock_chunk_latency_ms: /),
      "router_settings.retry_after: expected at most 3600 seconds",
      "router_settings.timeout: expected at most 3600 seconds",
      "router_settings.cooldown_time: expected at most 86400 seconds",
      "litellm_settings.request_timeout: expected at most 3600 seconds",
      "litellm_settings.cache_params.ttl: expected at most 31536000 seconds",
    ]);
  });

  it("accepts the longest durations allowed", () => {
    const { config } = load({
      model_list: [mock("a", "mock/x", { timeout: 3_600, stream_timeout: 3_600 })],
      router_settings: { retry_after: 3_600, cooldown_time: 86_400 },
      litellm_settings: {
        request_timeout: 3_600,
        cache: true,
        cache_params: { ttl: 365 * 86_400, max_ttl: 365 * 86_400 },
      },
    });
    expect(config.deployments[0]?.timeoutMs).toBe(3_600_000);
    expect(config.router.cooldownMs).toBe(86_400_000);
    expect(config.cache.ttlMs).toBe(365 * 86_400_000);
  });

  it("allows the same id in different groups", () => {
    const loaded = load({
      model_list: [
        { ...mock("a"), model_info: { id: "primary" } },
        { ...mock("b"), model_info: { id: "primary" } },
      ],
    });
    expect(loaded.config.deployments.map((d) => d.id)).toEqual(["primary", "primary"]);
  });
});

describe("loadConfig: warnings", () => {
  it("warns about keys RouteIQ does not use instead of refusing them, saying what to use where there is an equivalent", () => {
    const loaded = load({
      model_list: [mock("a", "openai/gpt-4o", { api_key: "sk-x", custom_llm_provider: "openai" })],
      litellm_settings: { success_callback: ["langfuse"], drop_params: true },
      router_settings: { redis_host: "redis.internal" },
      environment_variables: { FOO: "bar" },
    });
    expect(loaded.warnings).toEqual([
      "environment_variables: not used by RouteIQ, ignored; set them in the gateway's environment; a config never sets variables",
      "router_settings.redis_host: not used by RouteIQ, ignored; RouteIQ's Redis is set by REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) in the gateway's environment",
      expect.stringMatching(
        /^litellm_settings\.success_callback: "langfuse" is not available in RouteIQ, ignored; /,
      ),
      expect.stringMatching(
        /^litellm_settings\.drop_params: not used by RouteIQ, ignored; RouteIQ always leaves out/,
      ),
      'model_list[0].litellm_params.custom_llm_provider: not used by RouteIQ, ignored; write the provider as the model\'s prefix, e.g. model: "openai/gpt-4o"',
    ]);
    expect(loaded.config.deployments).toHaveLength(1);
  });

  it("does not require environment variables that only ignored keys reference", () => {
    const loaded = load({
      model_list: [mock("a")],
      router_settings: { redis_host: "os.environ/REDIS_HOST", redis_password: "os.environ/REDIS_PASSWORD" },
    });
    expect(loaded.warnings).toHaveLength(2);
  });

  it("loads the shipped config/config.yaml with no environment and no warnings", () => {
    const text = readFileSync(new URL("../../config/config.yaml", import.meta.url), "utf8");
    const { config, warnings } = loadConfig(text, {}, "config/config.yaml");
    expect(warnings).toEqual([]);
    expect([...config.groups.keys()]).toEqual(["demo", "demo-embedding"]);
    expect(config.deployments.map((d) => d.id)).toEqual(["mock/demo-a", "mock/demo-b", "mock/embedding"]);
    expect(config.masterKey).toBe("sk-routeiq-dev-master-key");
  });
});

describe("loadConfig: environment", () => {
  it("reads os.environ/ references for api_key and master_key", () => {
    const loaded = load(
      {
        model_list: [mock("a", "openai/gpt-4o", { api_key: "os.environ/MY_OPENAI_API_KEY" })],
        general_settings: { master_key: "os.environ/LITELLM_MASTER_KEY" },
      },
      { MY_OPENAI_API_KEY: "sk-from-env", LITELLM_MASTER_KEY: "sk-master-from-env" },
    );
    expect(deployment(loaded, 0).apiKey).toBe("sk-from-env");
    expect(loaded.config.masterKey).toBe("sk-master-from-env");
  });

  it("uses LITELLM_MASTER_KEY only when general_settings.master_key is absent", () => {
    const env = { LITELLM_MASTER_KEY: "sk-env-master" };
    expect(load({ model_list: [mock("a")] }, env).config.masterKey).toBe("sk-env-master");
    expect(
      load({ model_list: [mock("a")], general_settings: { master_key: "sk-file" } }, env).config.masterKey,
    ).toBe("sk-file");
    expect(load({ model_list: [mock("a")] }, { LITELLM_MASTER_KEY: "" }).config.masterKey).toBeUndefined();
    expect(load({ model_list: [mock("a")] }).config.masterKey).toBeUndefined();
  });

  it("defaults api_key to the provider's usual environment variable", () => {
    const loaded = load(
      {
        model_list: [
          mock("gpt", "openai/gpt-4o"),
          mock("claude", "anthropic/claude-sonnet-4-5"),
          mock("explicit", "openai/gpt-4o", { api_key: "sk-explicit" }),
          mock("local", "mock/x"),
        ],
      },
      { OPENAI_API_KEY: "sk-openai-env", ANTHROPIC_API_KEY: "sk-ant-env" },
    );
    expect(loaded.config.deployments.map((d) => d.apiKey)).toEqual([
      "sk-openai-env",
      "sk-ant-env",
      "sk-explicit",
      undefined,
    ]);
  });
});

describe("loadConfig: deployments", () => {
  it("ids default to <provider>/<model>, with #2, #3 for repeats anywhere in the config", () => {
    const loaded = load({
      model_list: [
        mock("gpt", "openai/gpt-4o", { api_key: "k1" }),
        mock("gpt", "openai/gpt-4o", { api_key: "k2" }),
        mock("gpt", "openai/gpt-4o", { api_key: "k3" }),
        mock("gpt", "azure/gpt-4o", { api_base: "https://r.openai.azure.com" }),
        mock("other", "openai/gpt-4o", { api_key: "k4" }),
        { ...mock("gpt", "openai/gpt-4o", { api_key: "k5" }), model_info: { id: "pinned" } },
      ],
    });
    expect(loaded.config.deployments.map((d) => d.id)).toEqual([
      "openai/gpt-4o",
      "openai/gpt-4o#2",
      "openai/gpt-4o#3",
      "azure/gpt-4o",
      "openai/gpt-4o#4",
      "pinned",
    ]);
    expect(loaded.config.groups.get("gpt")?.map((d) => d.apiKey)).toEqual([
      "k1",
      "k2",
      "k3",
      undefined,
      "k5",
    ]);
  });

  it("keeps everything after the first slash as the upstream model name", () => {
    const d = deployment(
      load({
        model_list: [mock("llama", "hosted_vllm/meta-llama/Llama-3.1-8B", { api_base: "http://v:8000/v1" })],
      }),
      0,
    );
    expect(d.provider).toBe("hosted_vllm");
    expect(d.model).toBe("meta-llama/Llama-3.1-8B");
  });

  it("fills in api_base for known hosts, strips a trailing slash, and defaults azure's api_version", () => {
    const loaded = load({
      model_list: [
        mock("a", "groq/llama-3.1-8b-instant"),
        mock("b", "openai/gpt-4o"),
        mock("c", "ollama/llama3.2"),
        mock("d", "openai/gpt-4o", { api_base: "http://proxy.internal/v1/" }),
        mock("e", "azure/my-deployment", { api_base: "https://r.openai.azure.com/" }),
        mock("f", "azure/my-deployment", {
          api_base: "https://r.openai.azure.com",
          api_version: "2025-01-01",
        }),
      ],
    });
    expect(loaded.config.deployments.map((d) => d.apiBase)).toEqual([
      "https://api.groq.com/openai/v1",
      "https://api.openai.com/v1",
      "http://localhost:11434/v1",
      "http://proxy.internal/v1",
      "https://r.openai.azure.com",
      "https://r.openai.azure.com",
    ]);
    expect(deployment(loaded, 4).apiVersion).toBe("2024-10-21");
    expect(deployment(loaded, 5).apiVersion).toBe("2025-01-01");
    expect(deployment(loaded, 0).apiVersion).toBeUndefined();
  });

  it("takes the timeout from litellm_params, then router_settings, then litellm_settings, else 600 s", () => {
    const timeouts = (config: Record<string, unknown>) =>
      load({
        model_list: [mock("a", "mock/x", { timeout: 5 }), mock("a", "mock/y")],
        ...config,
      }).config.deployments.map((d) => d.timeoutMs);
    expect(timeouts({})).toEqual([5_000, 600_000]);
    expect(timeouts({ litellm_settings: { request_timeout: 30 } })).toEqual([5_000, 30_000]);
    expect(
      timeouts({ router_settings: { timeout: 12.5 }, litellm_settings: { request_timeout: 30 } }),
    ).toEqual([5_000, 12_500]);
  });

  it("takes num_retries from router_settings, then litellm_settings, else 2", () => {
    const retries = (config: Record<string, unknown>) =>
      load({ model_list: [mock("a")], ...config }).config.router.numRetries;
    expect(retries({})).toBe(2);
    expect(retries({ litellm_settings: { num_retries: 5 } })).toBe(5);
    expect(retries({ router_settings: { num_retries: 0 }, litellm_settings: { num_retries: 5 } })).toBe(0);
  });

  it("converts router seconds to milliseconds and request size to bytes", () => {
    const { config } = load({
      model_list: [mock("a")],
      router_settings: {
        retry_after: 1.5,
        cooldown_time: 30,
        allowed_fails: 1,
        routing_strategy: "least-busy",
      },
      general_settings: { max_request_size_mb: 2, global_max_parallel_requests: 100 },
      litellm_settings: { require_auth_for_metrics_endpoint: true },
    });
    expect(config.router).toMatchObject({
      strategy: "least-busy",
      retryAfterMs: 1_500,
      cooldownMs: 30_000,
      allowedFails: 1,
    });
    expect(config.maxRequestBytes).toBe(2 * 1024 * 1024);
    expect(config.maxParallelRequests).toBe(100);
    expect(config.metricsRequireAuth).toBe(true);
  });

  it("groups deployments by model_name in config order and keeps fallbacks in order", () => {
    const { config } = load({
      model_list: [mock("gpt-4o", "mock/a"), mock("claude", "mock/b"), mock("gpt-4o", "mock/c")],
      router_settings: {
        fallbacks: [{ "gpt-4o": ["claude"] }],
        context_window_fallbacks: [{ claude: ["gpt-4o"] }],
      },
    });
    expect([...config.groups.keys()]).toEqual(["gpt-4o", "claude"]);
    expect(config.groups.get("gpt-4o")?.map((d) => d.id)).toEqual(["mock/a", "mock/c"]);
    expect(config.fallbacks.get("gpt-4o")).toEqual(["claude"]);
    expect(config.contextWindowFallbacks.get("claude")).toEqual(["gpt-4o"]);
  });
});

describe("loadConfig: provider-less model names", () => {
  it("serves well-known names without a prefix from their provider, as LiteLLM does", () => {
    const { config } = load({
      model_list: [
        mock("gpt-4o", "gpt-4o"),
        mock("claude", "claude-3-5-sonnet-20241022"),
        mock("embed", "text-embedding-3-small"),
      ],
    });
    expect(
      config.deployments.map(({ provider, model, apiBase, id }) => ({ provider, model, apiBase, id })),
    ).toEqual([
      { provider: "openai", model: "gpt-4o", apiBase: "https://api.openai.com/v1", id: "openai/gpt-4o" },
      {
        provider: "anthropic",
        model: "claude-3-5-sonnet-20241022",
        apiBase: undefined,
        id: "anthropic/claude-3-5-sonnet-20241022",
      },
      {
        provider: "openai",
        model: "text-embedding-3-small",
        apiBase: "https://api.openai.com/v1",
        id: "openai/text-embedding-3-small",
      },
    ]);
  });
});

describe("loadConfig: general_settings.database_url", () => {
  const DB = "postgresql://routeiq:db-secret@db.internal:5432/routeiq";

  it("reads it, from os.environ/DATABASE_URL too", () => {
    expect(
      load({ model_list: [], general_settings: { master_key: "sk-m", database_url: DB } }).config.databaseUrl,
    ).toBe(DB);
    const viaEnv = load(
      { model_list: [], general_settings: { master_key: "sk-m", database_url: "os.environ/DATABASE_URL" } },
      { DATABASE_URL: DB },
    );
    expect(viaEnv.config.databaseUrl).toBe(DB);
    expect(viaEnv.warnings).toEqual([]);
    expect(
      load({ model_list: [], general_settings: { master_key: "sk-m" } }).config.databaseUrl,
    ).toBeUndefined();
  });

  it("refuses a value that is not a PostgreSQL URL, naming the field and never the value", () => {
    const problems = problemsOf({ general_settings: { master_key: "sk-m", database_url: "notaurl-secret" } });
    expect(problems).toEqual([
      "general_settings.database_url: expected a PostgreSQL URL such as postgresql://user:password@host:5432/routeiq; the value is not a URL",
    ]);
    const viaEnv = problemsOf(
      { general_settings: { master_key: "sk-m", database_url: "os.environ/DATABASE_URL" } },
      { DATABASE_URL: "mysql://root:db-secret@db/app" },
    );
    expect(viaEnv).toEqual([
      'general_settings.database_url: expected a postgres:// or postgresql:// URL such as postgresql://user:password@host:5432/routeiq; the value\'s scheme is "mysql" (value of os.environ/DATABASE_URL)',
    ]);
    expect(viaEnv.join()).not.toContain("db-secret");
  });

  it("refuses a reference to DATABASE_URL when it is not set, rather than falling back to the embedded database", () => {
    expect(
      problemsOf({ general_settings: { master_key: "sk-m", database_url: "os.environ/DATABASE_URL" } }),
    ).toEqual([
      "general_settings.database_url: environment variable DATABASE_URL is not set (referenced as os.environ/DATABASE_URL)",
    ]);
  });
});

describe("loadConfig: wildcard routes", () => {
  it("keeps a wildcard entry as a group named by its pattern, most specific pattern first", () => {
    const { config } = load({
      model_list: [
        mock("*", "openai/*"),
        mock("openai/*", "openai/*"),
        mock("claude-*", "anthropic/claude-*"),
        mock("gpt-4o", "openai/gpt-4o"),
      ],
    });
    expect([...config.groups.keys()]).toEqual(["*", "openai/*", "claude-*", "gpt-4o"]);
    expect(config.wildcards.map((w) => w.pattern)).toEqual(["openai/*", "claude-*", "*"]);
    expect(config.groups.get("claude-*")?.[0]).toMatchObject({ provider: "anthropic", model: "claude-*" });
  });

  it("refuses a wildcard model whose model_name cannot fill it, and wildcard routes as fallbacks", () => {
    const problems = problemsOf({
      model_list: [mock("gpt", "openai/*"), mock("a/*", "openai/*/*"), mock("*", "openai/*")],
      router_settings: { fallbacks: [{ gpt: ["*"] }] },
    });
    expect(problems).toEqual([
      'model_list[0].litellm_params.model: a "*" in the model needs one in model_name too (a wildcard route, e.g. model_name: "openai/*"); "*" is never sent upstream',
      'model_list[1].litellm_params.model: has 2 "*" but model_name has 1; each "*" of the model is filled with what the "*" at the same place in model_name matched',
      'router_settings.fallbacks[0].gpt: "*" is a wildcard route; a fallback must name a model group',
    ]);
  });
});
