import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { allowInConfigs, FIELD_EXEMPTIONS } from "./env-refs";
import { ConfigError, type Env, type LoadedConfig, loadConfig } from "./load";

/**
 * What a config may take from the process: whoever can write the config bucket writes configs, and
 * a config's `api_key`, `extra_headers` and `api_base` decide what is sent where.
 */

const load = (config: Record<string, unknown>, env: Env = {}): LoadedConfig =>
  loadConfig(stringify(config), env, "test.yaml");

function refusal(config: Record<string, unknown>, env: Env = {}): ConfigError {
  try {
    load(config, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the config to be refused");
}

/** The gateway's own credentials, as a Lambda or a task has them. */
const PROCESS_SECRETS = {
  AWS_ACCESS_KEY_ID: "ASIA-secret-access-key-id",
  AWS_SECRET_ACCESS_KEY: "aws-secret-value",
  AWS_SESSION_TOKEN: "aws-session-token-value",
  DATABASE_URL: "postgresql://routeiq:db-secret@db.internal/routeiq",
  REDIS_PASSWORD: "redis-secret-value",
  LITELLM_MASTER_KEY: "sk-master-secret-value",
  LITELLM_SALT_KEY: "salt-secret-value",
};

const openai = (extra: Record<string, unknown>) => ({
  model_name: "gpt",
  litellm_params: { model: "openai/gpt-4o", api_base: "https://collector.example/v1", ...extra },
});

describe("os.environ/ references: which variables a config may read", () => {
  it("never resolves the gateway's own credentials, even when allow-listed, naming field and variable only", () => {
    const names = Object.keys(PROCESS_SECRETS);
    const error = refusal(
      {
        model_list: names.map((name, index) =>
          openai(
            index % 2 === 0
              ? { api_key: `os.environ/${name}` }
              : { extra_headers: { "x-leak": `os.environ/${name}` } },
          ),
        ),
      },
      { ...PROCESS_SECRETS, ROUTEIQ_CONFIG_ENV_ALLOWLIST: names.join(",") },
    );
    expect(error.problems).toHaveLength(names.length);
    names.forEach((name, index) => {
      const field =
        index % 2 === 0
          ? `model_list[${index}].litellm_params.api_key`
          : `model_list[${index}].litellm_params.extra_headers.x-leak`;
      expect(error.problems[index]).toBe(
        `${field}: os.environ/${name} is never resolved: AWS_*, DATABASE_*, REDIS_*, LITELLM_MASTER_KEY and LITELLM_SALT_KEY are the gateway's own credentials`,
      );
    });
    for (const value of Object.values(PROCESS_SECRETS)) expect(error.message).not.toContain(value);
  });

  it("refuses them in any letter case, as Windows would read them", () => {
    const error = refusal(
      { model_list: [openai({ api_key: "os.environ/aws_secret_access_key" })] },
      { ROUTEIQ_CONFIG_ENV_ALLOWLIST: "aws_secret_access_key", aws_secret_access_key: "aws-secret-value" },
    );
    expect(error.problems).toEqual([
      expect.stringContaining("os.environ/aws_secret_access_key is never resolved"),
    ]);
  });

  it("resolves provider keys, bases and versions without listing them", () => {
    const loaded = load(
      {
        model_list: [
          {
            model_name: "azure",
            litellm_params: {
              model: "azure/gpt-4o",
              api_key: "os.environ/AZURE_API_KEY",
              api_base: "os.environ/AZURE_API_BASE",
              api_version: "os.environ/AZURE_API_VERSION",
            },
          },
        ],
      },
      {
        AZURE_API_KEY: "azure-key",
        AZURE_API_BASE: "https://r.openai.azure.com",
        AZURE_API_VERSION: "2025-01-01",
      },
    );
    expect(loaded.config.deployments[0]).toMatchObject({
      apiKey: "azure-key",
      apiBase: "https://r.openai.azure.com",
      apiVersion: "2025-01-01",
    });
  });

  it("refuses any other name until ROUTEIQ_CONFIG_ENV_ALLOWLIST lists it, saying how to allow it", () => {
    const config = {
      model_list: [openai({ api_key: "os.environ/HOME", organization: "os.environ/MY_ORG" })],
    };
    const env = { HOME: "/root", MY_ORG: "org-1" };
    expect(refusal(config, env).problems).toEqual([
      "model_list[0].litellm_params.api_key: os.environ/HOME is not allowed: add HOME to ROUTEIQ_CONFIG_ENV_ALLOWLIST (names ending in _API_KEY, _API_BASE or _API_VERSION need not be listed)",
      "model_list[0].litellm_params.organization: os.environ/MY_ORG is not allowed: add MY_ORG to ROUTEIQ_CONFIG_ENV_ALLOWLIST (names ending in _API_KEY, _API_BASE or _API_VERSION need not be listed)",
    ]);
    const loaded = load(config, { ...env, ROUTEIQ_CONFIG_ENV_ALLOWLIST: " MY_ORG , HOME" });
    expect(loaded.config.deployments[0]).toMatchObject({ apiKey: "/root", organization: "org-1" });
  });

  it("lets only general_settings.master_key read LITELLM_MASTER_KEY", () => {
    const loaded = load(
      { model_list: [openai({})], general_settings: { master_key: "os.environ/LITELLM_MASTER_KEY" } },
      PROCESS_SECRETS,
    );
    expect(loaded.config.masterKey).toBe(PROCESS_SECRETS.LITELLM_MASTER_KEY);
    expect(
      refusal(
        { model_list: [openai({})], general_settings: { master_key: "os.environ/DATABASE_URL" } },
        PROCESS_SECRETS,
      ).problems,
    ).toEqual([
      expect.stringMatching(/^general_settings\.master_key: os\.environ\/DATABASE_URL is never resolved/),
    ]);
  });

  it("keeps the field exemptions a frozen table", () => {
    expect(Object.isFrozen(FIELD_EXEMPTIONS)).toBe(true);
    expect(Object.values(FIELD_EXEMPTIONS).every(Object.isFrozen)).toBe(true);
    expect(FIELD_EXEMPTIONS).toEqual({
      "general_settings.master_key": ["LITELLM_MASTER_KEY"],
      "general_settings.database_url": ["DATABASE_URL"],
      "litellm_settings.cache_params.host": ["REDIS_HOST"],
      "litellm_settings.cache_params.port": ["REDIS_PORT"],
      "litellm_settings.cache_params.password": ["REDIS_PASSWORD"],
    });
  });

  const GATEWAY_REDIS = { ...PROCESS_SECRETS, REDIS_HOST: "redis.internal", REDIS_PORT: "6380" };
  const cacheAt = (cache_params: Record<string, unknown>) => ({
    model_list: [openai({})],
    litellm_settings: { cache: true, cache_params },
  });

  it("lets the cache's Redis read REDIS_HOST, REDIS_PORT and REDIS_PASSWORD, as LiteLLM configs write them", () => {
    const loaded = load(
      cacheAt({
        type: "redis",
        host: "os.environ/REDIS_HOST",
        port: "os.environ/REDIS_PORT",
        password: "os.environ/REDIS_PASSWORD",
      }),
      GATEWAY_REDIS,
    );
    expect(loaded.config.cache.store).toEqual({
      type: "redis",
      server: {
        host: "redis.internal",
        port: 6380,
        password: PROCESS_SECRETS.REDIS_PASSWORD,
        tls: undefined,
      },
    });
    const portless = load(
      cacheAt({ host: "os.environ/REDIS_HOST", password: "os.environ/REDIS_PASSWORD", ssl: true }),
      GATEWAY_REDIS,
    );
    expect(portless.config.cache.store).toMatchObject({
      server: { host: "redis.internal", port: 6379, tls: true },
    });
  });

  it.each([
    ["a host of its own", { host: "collector.example" }],
    ["a port of its own", { host: "os.environ/REDIS_HOST", port: 6390 }],
    ["a port of its own on the gateway's host", { port: "6390" }],
    ["TLS turned off", { host: "os.environ/REDIS_HOST", ssl: false }],
    ["cluster nodes of its own", { redis_startup_nodes: [{ host: "collector.example", port: 6379 }] }],
  ])("never lets REDIS_PASSWORD go to %s", (_, where) => {
    const error = refusal(cacheAt({ ...where, password: "os.environ/REDIS_PASSWORD" }), GATEWAY_REDIS);
    expect(error.problems).toEqual([
      "litellm_settings.cache_params.password: os.environ/REDIS_PASSWORD is sent only to the gateway's own Redis: litellm_settings.cache_params.host and .port must be unset or os.environ/REDIS_HOST and os.environ/REDIS_PORT, redis_startup_nodes unset, and ssl unset or true",
    ]);
    expect(error.message).not.toContain(PROCESS_SECRETS.REDIS_PASSWORD);
  });

  it("takes a password written in the config to a host it names, and no other Redis variable anywhere", () => {
    const own = load(cacheAt({ host: "cache.example", password: "its-own-password" }), GATEWAY_REDIS);
    expect(own.config.cache.store).toMatchObject({
      server: { host: "cache.example", password: "its-own-password" },
    });
    const error = refusal(
      {
        ...cacheAt({ host: "os.environ/REDIS_URL", password: "os.environ/REDIS_HOST" }),
        model_list: [openai({ api_key: "os.environ/REDIS_PASSWORD" })],
      },
      { ...GATEWAY_REDIS, REDIS_URL: "redis://:secret@redis.internal" },
    );
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^model_list\[0\]\.litellm_params\.api_key: os\.environ\/REDIS_PASSWORD is never resolved/,
      ),
      expect.stringMatching(
        /^litellm_settings\.cache_params\.host: os\.environ\/REDIS_URL is never resolved/,
      ),
      expect.stringMatching(
        /^litellm_settings\.cache_params\.password: os\.environ\/REDIS_HOST is never resolved/,
      ),
    ]);
  });

  it("never reads what keys RouteIQ ignores reference, like LiteLLM's router Redis and S3 cache settings", () => {
    const loaded = load(
      {
        model_list: [openai({})],
        router_settings: { redis_password: "os.environ/REDIS_PASSWORD" },
        litellm_settings: {
          cache: true,
          cache_params: { type: "redis", s3_aws_secret_access_key: "os.environ/AWS_SECRET_ACCESS_KEY" },
        },
      },
      PROCESS_SECRETS,
    );
    expect(loaded.warnings).toEqual([
      "router_settings.redis_password: not used by RouteIQ, ignored; RouteIQ's Redis is set by REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) in the gateway's environment",
      "litellm_settings.cache_params.s3_aws_secret_access_key: not used by RouteIQ, ignored",
    ]);
    expect(JSON.stringify(loaded.config)).not.toContain(PROCESS_SECRETS.REDIS_PASSWORD);
    expect(JSON.stringify(loaded.config)).not.toContain(PROCESS_SECRETS.AWS_SECRET_ACCESS_KEY);
  });

  it("adds the names of a secret's variables to the allow list", () => {
    expect(
      allowInConfigs({ ROUTEIQ_CONFIG_ENV_ALLOWLIST: "A, B" }, ["B", "C"]).ROUTEIQ_CONFIG_ENV_ALLOWLIST,
    ).toBe("A,B,C");
    const env = { OTHER: "x" };
    expect(allowInConfigs(env, [])).toBe(env);
  });
});

describe("os.environ/ references: values never shown", () => {
  const SECRET = "sk-resolved-secret";
  const env = {
    GROUP_NAME: `${SECRET}-group`,
    FALLBACK_NAME: `${SECRET}-fallback`,
    DEPLOYMENT_ID: `${SECRET}-id`,
    MODE_NAME: `${SECRET}-mode`,
    STRATEGY: `${SECRET}-strategy`,
    BAD_API_BASE: `${SECRET}-not-a-url`,
    METADATA_API_BASE: `http://169.254.169.254/${SECRET}`,
    ROUTEIQ_CONFIG_ENV_ALLOWLIST: "GROUP_NAME,FALLBACK_NAME,DEPLOYMENT_ID,MODE_NAME,STRATEGY",
  };

  it("names the variable instead of the value in schema problems", () => {
    const error = refusal(
      {
        model_list: [
          {
            model_name: "gpt",
            litellm_params: { model: "openai/gpt-4o", api_base: "os.environ/BAD_API_BASE" },
            model_info: { mode: "os.environ/MODE_NAME" },
          },
        ],
        router_settings: { routing_strategy: "os.environ/STRATEGY" },
      },
      env,
    );
    expect(error.problems).toEqual([
      expect.stringMatching(
        /^model_list\[0\]\.litellm_params\.api_base: .* \(value of os\.environ\/BAD_API_BASE\)$/,
      ),
      expect.stringMatching(/^model_list\[0\]\.model_info\.mode: .* \(value of os\.environ\/MODE_NAME\)$/),
      expect.stringMatching(/^router_settings\.routing_strategy: .* \(value of os\.environ\/STRATEGY\)$/),
    ]);
    expect(error.message).not.toContain(SECRET);
  });

  it("names the variable instead of the value in fallback, id and api_base problems", () => {
    const error = refusal(
      {
        model_list: [
          { model_name: "os.environ/GROUP_NAME", litellm_params: { model: "mock/x" } },
          { model_name: "os.environ/GROUP_NAME", litellm_params: { model: "mock/x" } },
          {
            model_name: "os.environ/GROUP_NAME",
            litellm_params: { model: "mock/y" },
            model_info: { id: "os.environ/DEPLOYMENT_ID" },
          },
          {
            model_name: "os.environ/GROUP_NAME",
            litellm_params: { model: "mock/z" },
            model_info: { id: "os.environ/DEPLOYMENT_ID" },
          },
          openai({ api_base: "os.environ/METADATA_API_BASE" }),
        ],
        router_settings: { fallbacks: [{ gpt: ["os.environ/FALLBACK_NAME"] }] },
      },
      env,
    );
    expect(error.problems).toEqual([
      "model_list[4].litellm_params.api_base: (value of os.environ/METADATA_API_BASE) is refused: its host is link-local (cloud metadata: 169.254.169.254, ECS 169.254.170.2); allow it with ROUTEIQ_OUTBOUND_ALLOWLIST",
      "model_list[3].model_info.id: duplicate deployment id (value of os.environ/DEPLOYMENT_ID)",
      "router_settings.fallbacks[0].gpt: unknown model group (value of os.environ/FALLBACK_NAME); known: (value of os.environ/GROUP_NAME), gpt",
    ]);
    expect(error.message).not.toContain(SECRET);
  });
});

describe("api_base: the outbound URL policy", () => {
  it("refuses link-local and metadata hosts in any spelling, naming the field", () => {
    const bases = [
      "http://169.254.169.254/latest",
      "http://[fd00:ec2::254]/",
      "http://metadata.google.internal/v1",
      "http://2852039166/",
      "http://[::ffff:169.254.169.254]/",
    ];
    const error = refusal({ model_list: bases.map((api_base) => openai({ api_base })) });
    expect(error.problems).toHaveLength(bases.length);
    bases.forEach((base, index) => {
      expect(error.problems[index]).toContain(
        `model_list[${index}].litellm_params.api_base: "${base}" is refused: its host is `,
      );
    });
  });

  it("serves localhost, private and public upstreams, and what ROUTEIQ_OUTBOUND_ALLOWLIST lets through", () => {
    const bases = ["http://localhost:11434/v1", "http://10.0.0.5:8000/v1", "https://api.openai.com/v1"];
    expect(
      load({ model_list: bases.map((api_base) => openai({ api_base })) }).config.deployments,
    ).toHaveLength(3);
    const allowed = load(
      { model_list: [openai({ api_base: "http://169.254.170.2/v1" })] },
      { ROUTEIQ_OUTBOUND_ALLOWLIST: "169.254.170.2" },
    );
    expect(allowed.config.deployments[0]?.apiBase).toBe("http://169.254.170.2/v1");
  });

  it("refuses a config when ROUTEIQ_OUTBOUND_ALLOWLIST cannot be read", () => {
    expect(
      refusal({ model_list: [openai({})] }, { ROUTEIQ_OUTBOUND_ALLOWLIST: "10.0.0.0/40" }).problems,
    ).toEqual(['ROUTEIQ_OUTBOUND_ALLOWLIST: "10.0.0.0/40" is not a valid CIDR']);
  });
});

describe("api_base: the gateway's own cloud identity", () => {
  const vertex = (params: Record<string, unknown>) => ({
    model_name: "gemini",
    litellm_params: { model: "vertex_ai/gemini-2.5-pro", vertex_project: "p", ...params },
  });
  const serviceAccount = JSON.stringify({
    type: "service_account",
    project_id: "p",
    private_key_id: "k",
    private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    client_email: "sa@p.iam.gserviceaccount.com",
  });

  it("never sends Application Default Credentials to a host outside https://*.googleapis.com", () => {
    const bases = [
      "https://collector.example/v1",
      "https://googleapis.com.collector.example",
      "http://us-central1-aiplatform.googleapis.com",
      "http://10.0.0.5:8080",
    ];
    const error = refusal({ model_list: bases.map((api_base) => vertex({ api_base })) });
    expect(error.problems).toEqual(
      bases.map(
        (base, index) =>
          `model_list[${index}].litellm_params.api_base: "${base}" is refused: a vertex_ai deployment without vertex_credentials sends the gateway's own Google credentials (Application Default Credentials), so it is served only at https://*.googleapis.com; set vertex_credentials, or list the host in ROUTEIQ_OUTBOUND_ALLOWLIST`,
      ),
    );
  });

  it("serves Google's own endpoints, a host the operator listed, and any host with vertex_credentials", () => {
    const loaded = load(
      {
        model_list: [
          vertex({ api_base: "https://us-central1-aiplatform.googleapis.com" }),
          vertex({ api_base: "https://aiplatform-psc.p.googleapis.com." }),
          vertex({ api_base: "http://vertex-proxy.internal:8080" }),
          vertex({ api_base: "https://collector.example/v1", vertex_credentials: serviceAccount }),
        ],
      },
      { ROUTEIQ_OUTBOUND_ALLOWLIST: "vertex-proxy.internal" },
    );
    expect(loaded.config.deployments).toHaveLength(4);
  });
});
