import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, type Env, type LoadedConfig, loadConfig } from "./load";

const load = (config: Record<string, unknown>, env: Env = {}): LoadedConfig =>
  loadConfig(stringify(config), env, "test.yaml");

function problems(config: Record<string, unknown>, env: Env = {}): readonly string[] {
  try {
    load(config, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

const entry = (model: string, params: Record<string, unknown> = {}) => ({
  model_name: "m",
  litellm_params: { model, ...params },
});

const SERVICE_ACCOUNT = JSON.stringify({
  type: "service_account",
  client_email: "sa@p.iam.gserviceaccount.com",
  private_key: "-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n",
});

describe("LiteLLM configs naming bedrock/, gemini/ and vertex_ai/", () => {
  it("load, each deployment keeping its provider's settings and no unknown-key warnings", () => {
    const loaded = load(
      {
        model_list: [
          entry("bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0", {
            aws_region_name: "us-west-2",
            aws_role_name: "arn:aws:iam::111111111111:role/bedrock-caller",
            aws_session_name: "routeiq",
          }),
          entry("gemini/gemini-2.5-flash"),
          entry("vertex_ai/gemini-2.5-pro", {
            vertex_project: "my-project",
            vertex_location: "global",
            vertex_credentials: SERVICE_ACCOUNT,
          }),
        ],
      },
      { GEMINI_API_KEY: "gemini-from-env" },
    );
    expect(loaded.warnings).toEqual([]);
    const [bedrock, gemini, vertex] = loaded.config.deployments;
    expect(bedrock).toMatchObject({
      provider: "bedrock",
      model: "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
      apiKey: undefined,
      params: { aws_region_name: "us-west-2", aws_session_name: "routeiq" },
    });
    expect(gemini).toMatchObject({ provider: "gemini", apiKey: "gemini-from-env" });
    expect(vertex?.params).toMatchObject({ vertex_project: "my-project", vertex_location: "global" });
  });

  it("never reads the gateway's own AWS_* variables, saying what a LiteLLM user should do instead", () => {
    const env = { AWS_ACCESS_KEY_ID: "ASIA-own-key", AWS_SECRET_ACCESS_KEY: "own-secret-value" };
    const found = problems(
      {
        model_list: [
          entry("bedrock/amazon.nova-pro-v1:0", {
            aws_access_key_id: "os.environ/AWS_ACCESS_KEY_ID",
            aws_secret_access_key: "os.environ/AWS_SECRET_ACCESS_KEY",
          }),
        ],
      },
      { ...env, ROUTEIQ_CONFIG_ENV_ALLOWLIST: "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY" },
    );
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^model_list\[0\]\.litellm_params\.aws_access_key_id: os\.environ\/AWS_ACCESS_KEY_ID is never resolved/,
    );
    for (const problem of found) {
      expect(problem).toContain(
        "the gateway calls it with its own role and region (the default credential chain",
      );
      expect(problem).toContain("variables not named AWS_*");
    }
    expect(found.join("\n")).not.toMatch(/own-key|own-secret-value/);
  });

  it("reads aws_region_name from AWS_REGION_NAME as LiteLLM's docs write it, and no AWS_* variable anywhere else", () => {
    const env = {
      AWS_REGION_NAME: "eu-west-1",
      AWS_REGION: "us-east-2",
      AWS_SECRET_ACCESS_KEY: "own-secret-value",
    };
    const loaded = load(
      {
        model_list: [
          entry("bedrock/amazon.nova-pro-v1:0", { aws_region_name: "os.environ/AWS_REGION_NAME" }),
          entry("bedrock/amazon.nova-pro-v1:0", { aws_region_name: "os.environ/AWS_REGION" }),
        ],
      },
      env,
    );
    expect(loaded.config.deployments.map((d) => d.params.aws_region_name)).toEqual([
      "eu-west-1",
      "us-east-2",
    ]);
    const found = problems(
      {
        model_list: [
          entry("bedrock/amazon.nova-pro-v1:0", { aws_region_name: "os.environ/AWS_SECRET_ACCESS_KEY" }),
          entry("bedrock/amazon.nova-pro-v1:0", { aws_session_name: "os.environ/AWS_REGION_NAME" }),
        ],
      },
      env,
    );
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/aws_region_name: os\.environ\/AWS_SECRET_ACCESS_KEY is never resolved/);
    expect(found[1]).toMatch(/aws_session_name: os\.environ\/AWS_REGION_NAME is never resolved/);
    expect(found.join("\n")).not.toContain("own-secret-value");
  });

  it("refuses a region variable whose value is not a region, without showing it", () => {
    const found = problems(
      { model_list: [entry("bedrock/amazon.nova-pro-v1:0", { aws_region_name: "os.environ/AWS_REGION" })] },
      { AWS_REGION: "evil.example/x" },
    );
    expect(found).toEqual([
      "model_list[0].litellm_params.aws_region_name: expected an AWS region, e.g. us-east-1 (value of os.environ/AWS_REGION)",
    ]);
  });

  it("takes another account's keys from allow-listed variables of other names", () => {
    const loaded = load(
      {
        model_list: [
          entry("bedrock/amazon.nova-pro-v1:0", {
            aws_access_key_id: "os.environ/BEDROCK_ACCESS_KEY_ID",
            aws_secret_access_key: "os.environ/BEDROCK_SECRET_ACCESS_KEY",
          }),
        ],
      },
      {
        BEDROCK_ACCESS_KEY_ID: "AKIDOTHER",
        BEDROCK_SECRET_ACCESS_KEY: "other-secret",
        ROUTEIQ_CONFIG_ENV_ALLOWLIST: "BEDROCK_ACCESS_KEY_ID,BEDROCK_SECRET_ACCESS_KEY",
      },
    );
    expect(loaded.config.deployments[0]?.params).toMatchObject({
      aws_access_key_id: "AKIDOTHER",
      aws_secret_access_key: "other-secret",
    });
  });

  it("refuses a vertex_credentials file path or a credential type that names URLs, never showing the value", () => {
    const externalAccount = JSON.stringify({
      type: "external_account",
      token_url: "https://collector.example/token",
      credential_source: { file: "/proc/self/environ" },
    });
    const found = problems(
      {
        model_list: [
          entry("vertex_ai/gemini-2.5-pro", { vertex_credentials: "/etc/routeiq/secret-file.json" }),
          entry("vertex_ai/gemini-2.5-pro", { vertex_credentials: externalAccount }),
          entry("vertex_ai/gemini-2.5-pro", { vertex_credentials: "os.environ/VERTEX_SA_JSON" }),
        ],
      },
      {
        VERTEX_SA_JSON: '{"type":"authorized_user","refresh_token":"rt-secret"}',
        ROUTEIQ_CONFIG_ENV_ALLOWLIST: "VERTEX_SA_JSON",
      },
    );
    expect(found).toHaveLength(3);
    expect(found[0]).toContain(
      "model_list[0].litellm_params.vertex_credentials: expected a service account key's JSON",
    );
    expect(found[0]).toContain("a file path is not read");
    expect(found[0]).toContain("leave vertex_credentials out to use Application Default Credentials");
    expect(found[1]).toMatch(
      /^model_list\[1\]\.litellm_params\.vertex_credentials: expected a service account/,
    );
    expect(found[2]).toContain("(value of os.environ/VERTEX_SA_JSON)");
    const text = found.join("\n");
    for (const secret of ["secret-file", "collector.example", "proc/self", "rt-secret"])
      expect(text).not.toContain(secret);
  });

  it("refuses regions and locations that would change the host a request goes to", () => {
    const found = problems({
      model_list: [
        entry("bedrock/amazon.nova-pro-v1:0", { aws_region_name: "evil.example/x" }),
        entry("vertex_ai/gemini-2.5-pro", { vertex_location: "attacker.example#", vertex_project: "p" }),
        entry("vertex_ai/gemini-2.5-pro", { vertex_project: "../other" }),
      ],
    });
    expect(found).toEqual([
      "model_list[0].litellm_params.aws_region_name: expected an AWS region, e.g. us-east-1",
      "model_list[1].litellm_params.vertex_location: expected a Google Cloud location, e.g. us-central1 or global",
      "model_list[2].litellm_params.vertex_project: expected a Google Cloud project id, e.g. my-project",
    ]);
  });

  it("holds aws_bedrock_runtime_endpoint to the outbound URL policy, naming the variable rather than its value", () => {
    const found = problems(
      {
        model_list: [
          entry("bedrock/amazon.nova-pro-v1:0", {
            aws_bedrock_runtime_endpoint: "http://169.254.169.254/latest",
          }),
          entry("bedrock/amazon.nova-pro-v1:0", {
            aws_bedrock_runtime_endpoint: "os.environ/BEDROCK_ENDPOINT",
          }),
        ],
      },
      {
        BEDROCK_ENDPOINT: "http://metadata.google.internal/computeMetadata/v1/",
        ROUTEIQ_CONFIG_ENV_ALLOWLIST: "BEDROCK_ENDPOINT",
      },
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^model_list\[0\]\.litellm_params\.aws_bedrock_runtime_endpoint: "http:\/\/169\.254\.169\.254\/latest" is refused: its host is link-local/,
      ),
      expect.stringMatching(
        /^model_list\[1\]\.litellm_params\.aws_bedrock_runtime_endpoint: \(value of os\.environ\/BEDROCK_ENDPOINT\) is refused/,
      ),
    ]);
    expect(found.join("\n")).not.toContain("computeMetadata");
  });
});
