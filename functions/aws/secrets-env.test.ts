import { parse } from "pg-connection-string";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadConfig } from "../../shared/config/load";
import { databaseUrlFromSecret, resolveSecretEnv, type SecretReader } from "./secrets-env";

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;

/** Secrets Manager in memory, counting reads; unknown ids fail as the real one does. */
function fakeSecrets(values: Record<string, string>) {
  const reads: string[] = [];
  const reader: SecretReader = {
    async read(id) {
      reads.push(id);
      const value = values[id];
      if (value === undefined) throw new Error("Secrets Manager can't find the specified secret.");
      return value;
    },
  };
  return { reads, reader: () => reader };
}

const rdsSecret = {
  username: "route@iq",
  password: "p@ss:w/rd?#%",
  host: "routeiq.cluster-abc.eu-west-1.rds.amazonaws.com",
  port: 5432,
  dbname: "routeiq",
  engine: "postgres",
};

describe("resolveSecretEnv", () => {
  it("turns each *_SECRET_ARN into the variable it stands for", async () => {
    const { reader, reads } = fakeSecrets({
      [ARN("db")]: JSON.stringify(rdsSecret),
      [ARN("redis")]: "redis-secret",
      [ARN("master")]: "sk-master-from-secret",
    });
    const env = await resolveSecretEnv(
      {
        DATABASE_SECRET_ARN: ARN("db"),
        REDIS_PASSWORD_SECRET_ARN: ARN("redis"),
        LITELLM_MASTER_KEY_SECRET_ARN: ARN("master"),
        REDIS_HOST: "cache.internal",
      },
      reader,
    );
    expect(env.REDIS_PASSWORD).toBe("redis-secret");
    expect(env.LITELLM_MASTER_KEY).toBe("sk-master-from-secret");
    expect(env.REDIS_HOST).toBe("cache.internal");
    expect(reads.sort()).toEqual([ARN("db"), ARN("master"), ARN("redis")]);
    // The credentials survive URL encoding exactly, and pg will verify the server's certificate.
    const parsed = parse(env.DATABASE_URL as string);
    expect(parsed).toMatchObject({
      user: rdsSecret.username,
      password: rdsSecret.password,
      host: rdsSecret.host,
      port: "5432",
      database: "routeiq",
    });
    expect(parsed.ssl).toEqual({});
  });

  it("takes external stores' URLs as they are (state=external: Neon, Upstash), refusing two sources of one", async () => {
    const neon = "postgresql://app:pw@ep-x.eu-central-1.aws.neon.tech/routeiq?sslmode=require";
    const upstash = "rediss://default:pw@eu1-x.upstash.io:6379";
    const { reader } = fakeSecrets({ [ARN("db-url")]: neon, [ARN("redis-url")]: upstash, [ARN("db")]: "{}" });
    const env = await resolveSecretEnv(
      { DATABASE_URL_SECRET_ARN: ARN("db-url"), REDIS_URL_SECRET_ARN: ARN("redis-url") },
      reader,
    );
    expect([env.DATABASE_URL, env.REDIS_URL]).toEqual([neon, upstash]);
    await expect(
      resolveSecretEnv({ DATABASE_SECRET_ARN: ARN("db"), DATABASE_URL_SECRET_ARN: ARN("db-url") }, reader),
    ).rejects.toThrow("set DATABASE_SECRET_ARN or DATABASE_URL_SECRET_ARN, not both");
  });

  it("leaves the environment alone, and never builds a client, when no secret is named", async () => {
    const env = { DATABASE_URL: "postgres://localhost/db", DATABASE_SECRET_ARN: "" };
    const resolved = await resolveSecretEnv(env, () => {
      throw new Error("no client should be built");
    });
    expect(resolved).toBe(env);
  });

  it("refuses a variable set both in plaintext and as a secret", async () => {
    const { reader } = fakeSecrets({ [ARN("master")]: "x" });
    await expect(
      resolveSecretEnv({ LITELLM_MASTER_KEY: "plain", LITELLM_MASTER_KEY_SECRET_ARN: ARN("master") }, reader),
    ).rejects.toThrow("set LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_SECRET_ARN, not both");
  });

  it("adds the variables ROUTEIQ_ENV_SECRET_ARN's JSON secret holds, beside the other secrets", async () => {
    const { reader, reads } = fakeSecrets({
      [ARN("providers")]: JSON.stringify({ OPENAI_API_KEY: "sk-openai", ANTHROPIC_API_KEY: "sk-ant" }),
      [ARN("master")]: "sk-master",
    });
    const env = await resolveSecretEnv(
      {
        ROUTEIQ_ENV_SECRET_ARN: ARN("providers"),
        LITELLM_MASTER_KEY_SECRET_ARN: ARN("master"),
        PORT: "4000",
      },
      reader,
    );
    expect(env).toMatchObject({
      OPENAI_API_KEY: "sk-openai",
      ANTHROPIC_API_KEY: "sk-ant",
      LITELLM_MASTER_KEY: "sk-master",
      PORT: "4000",
    });
    expect(reads.sort()).toEqual([ARN("master"), ARN("providers")]);
  });

  it("lets configs reference the names ROUTEIQ_ENV_SECRET_ARN's secret holds, and no other", async () => {
    const { reader } = fakeSecrets({
      [ARN("providers")]: JSON.stringify({ MISTRAL_TOKEN: "mistral-secret", OPENAI_API_KEY: "sk-openai" }),
    });
    const env = await resolveSecretEnv(
      { ROUTEIQ_ENV_SECRET_ARN: ARN("providers"), ROUTEIQ_CONFIG_ENV_ALLOWLIST: "MY_ORG", MY_ORG: "org-1" },
      reader,
    );
    expect(env.ROUTEIQ_CONFIG_ENV_ALLOWLIST).toBe("MY_ORG,MISTRAL_TOKEN,OPENAI_API_KEY");
    const config = (apiKey: string) =>
      stringify({
        model_list: [
          {
            model_name: "m",
            litellm_params: {
              model: "mistral/mistral-large",
              api_key: apiKey,
              organization: "os.environ/MY_ORG",
            },
          },
        ],
      });
    const { config: loaded } = loadConfig(config("os.environ/MISTRAL_TOKEN"), env);
    expect(loaded.deployments[0]).toMatchObject({ apiKey: "mistral-secret", organization: "org-1" });
    expect(() => loadConfig(config("os.environ/HOME"), { ...env, HOME: "/root" })).toThrow(
      /api_key: os\.environ\/HOME is not allowed/,
    );
    const { reader: widening } = fakeSecrets({
      [ARN("providers")]: JSON.stringify({ ROUTEIQ_CONFIG_ENV_ALLOWLIST: "AWS_SECRET_ACCESS_KEY" }),
    });
    await expect(resolveSecretEnv({ ROUTEIQ_ENV_SECRET_ARN: ARN("providers") }, widening)).rejects.toThrow(
      "ROUTEIQ_ENV_SECRET_ARN: ROUTEIQ_CONFIG_ENV_ALLOWLIST cannot come from this secret",
    );
  });

  it("refuses an env secret that would set what another secret or the plaintext environment sets", async () => {
    const { reader } = fakeSecrets({
      [ARN("providers")]: JSON.stringify({ REDIS_PASSWORD: "from-json", OPENAI_API_KEY: "sk-json" }),
    });
    await expect(
      resolveSecretEnv({ ROUTEIQ_ENV_SECRET_ARN: ARN("providers"), OPENAI_API_KEY: "sk-plain" }, reader),
    ).rejects.toThrow(
      "ROUTEIQ_ENV_SECRET_ARN: REDIS_PASSWORD cannot come from this secret; set it (or its own *_SECRET_ARN) directly; OPENAI_API_KEY is also set in the environment; set it in one place",
    );
  });

  it("names the variable of a secret that cannot be read", async () => {
    const { reader } = fakeSecrets({});
    await expect(resolveSecretEnv({ REDIS_PASSWORD_SECRET_ARN: ARN("gone") }, reader)).rejects.toThrow(
      "REDIS_PASSWORD_SECRET_ARN: could not read the secret: Secrets Manager can't find the specified secret.",
    );
  });
});

describe("databaseUrlFromSecret", () => {
  it("defaults to sslmode=verify-full and honours DATABASE_SSLMODE", () => {
    expect(new URL(databaseUrlFromSecret(JSON.stringify(rdsSecret), {})).searchParams.get("sslmode")).toBe(
      "verify-full",
    );
    const disabled = databaseUrlFromSecret(JSON.stringify(rdsSecret), { DATABASE_SSLMODE: "disable" });
    expect(parse(disabled).ssl).toBe(false);
    expect(() => databaseUrlFromSecret(JSON.stringify(rdsSecret), { DATABASE_SSLMODE: "allow" })).toThrow(
      "DATABASE_SSLMODE: expected one of",
    );
  });

  it("completes an RDS-managed secret (credentials only) from DATABASE_HOST, DATABASE_PORT and DATABASE_NAME", () => {
    const url = databaseUrlFromSecret(JSON.stringify({ username: "admin", password: "pw" }), {
      DATABASE_HOST: "db.internal",
      DATABASE_PORT: "6432",
      DATABASE_NAME: "gateway",
    });
    expect(parse(url)).toMatchObject({
      user: "admin",
      host: "db.internal",
      port: "6432",
      database: "gateway",
    });
    expect(() => databaseUrlFromSecret(JSON.stringify({ username: "admin", password: "pw" }), {})).toThrow(
      "the secret has no host and DATABASE_HOST is not set",
    );
  });

  it("never echoes the secret's values in its errors", () => {
    const broken = JSON.stringify({ username: "admin", password: 12345678, host: "h" });
    expect(() => databaseUrlFromSecret(broken, {})).toThrow("the secret's fields are invalid: password");
    expect(() => databaseUrlFromSecret("hunter2", {})).toThrow(
      /^DATABASE_SECRET_ARN: the secret is not JSON/,
    );
    try {
      databaseUrlFromSecret(broken, {});
    } catch (error) {
      expect(String(error)).not.toContain("12345678");
    }
  });
});
