import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import type { SecretReader } from "../../functions/aws/secrets-env";
import { lambdaGateway } from "../../functions/gateway/lambda-gateway";
import { migrateHandler } from "../../functions/migrate/lambda";
import { syncHandler } from "../../functions/sync/lambda";
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from "../../infra/local/s3-server";
import { jsonLogger } from "../../shared/logging/logger";
import { pgSql } from "../../shared/store/sql/pg";
import { latestRevision } from "../../shared/store/tables/config-revisions";
import { albEvent, bodyOf } from "../support/alb-events";
import { createTestSchema, POSTGRES_URL, type TestSchema } from "../support/postgres";

/**
 * The three Lambda functions with their credentials in (a fake) Secrets Manager, as the CDK
 * deploys them: DATABASE_SECRET_ARN holds RDS's JSON secret for a database role of its own, whose
 * search_path is this test's schema, and LITELLM_MASTER_KEY_SECRET_ARN the master key.
 */

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:routeiq/${name}-AbCdEf`;
const PASSWORD = "p@ss word/:?#%";
const MASTER_KEY = "sk-master-from-secrets-manager";
const BUCKET = "routeiq-lambda-secrets";

let schema: TestSchema;
let role: string;
let s3: LocalS3;
const reads: string[] = [];
const logs: string[] = [];
const logger = jsonLogger((line) => void logs.push(line));

const secrets = (): SecretReader => ({
  async read(id) {
    reads.push(id);
    const values: Record<string, string> = {
      [ARN("db")]: JSON.stringify({
        username: role,
        password: PASSWORD,
        engine: "postgres",
        host: "127.0.0.1",
        port: Number(new URL(POSTGRES_URL).port || 5432),
        dbname: new URL(POSTGRES_URL).pathname.slice(1),
      }),
      [ARN("master")]: MASTER_KEY,
    };
    const value = values[id];
    if (value === undefined) throw new Error("ResourceNotFoundException");
    return value;
  },
});

// The test server takes no TLS (the CDK's default is verify-full against the RDS CA).
const env = {
  DATABASE_SECRET_ARN: ARN("db"),
  DATABASE_SSLMODE: "disable",
  LITELLM_MASTER_KEY_SECRET_ARN: ARN("master"),
};

const admin = async (text: string) => {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
};

beforeAll(async () => {
  schema = await createTestSchema("secrets");
  const name = new URL(schema.url).searchParams.get("options")?.split("=")[1] as string;
  role = `${name}_role`;
  await admin(`CREATE ROLE ${role} LOGIN`);
  await admin(`GRANT ALL ON SCHEMA ${name} TO ${role}`);
  await admin(`ALTER ROLE ${role} SET search_path = ${name}`);
  s3 = await startLocalS3(BUCKET);
});

afterAll(async () => {
  await schema?.drop();
  if (role !== undefined) await admin(`DROP ROLE IF EXISTS ${role}`);
  await s3?.close();
});

describe("Lambda functions with their credentials in Secrets Manager", () => {
  it("the migrate function migrates the database the secret names, and fails loudly without one", async () => {
    const migrate = migrateHandler({ env, secrets, logger });
    const { applied } = await migrate();
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrate()).toEqual({ applied: [] });
    // Resolved once per container, not per invoke.
    expect(reads.filter((id) => id === ARN("db"))).toHaveLength(1);
    await expect(migrateHandler({ env: {}, secrets, logger })()).rejects.toThrow(/^DATABASE_URL is not set/);
  });

  it("the sync function publishes to that database", async () => {
    // The S3 client takes its credentials from the process environment, as on Lambda.
    vi.stubEnv("AWS_ACCESS_KEY_ID", S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", S3RVER_CREDENTIALS.secretAccessKey);
    await s3.put(
      "config.yaml",
      stringify({ model_list: [{ model_name: "m", litellm_params: { model: "mock/m" } }] }),
    );
    const sync = syncHandler({
      env: {
        ...env,
        CONFIG_S3_BUCKET: BUCKET,
        CONFIG_S3_KEY: "config.yaml",
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        AWS_REGION: "eu-west-1",
      },
      secrets,
      logger,
    });
    expect(await sync()).toEqual({ outcome: "published" });
    const sql = pgSql({ connectionString: schema.url });
    try {
      expect((await latestRevision(sql, "config_sync"))?.body).toContain("mock/m");
    } finally {
      await sql.close();
      vi.unstubAllEnvs();
    }
  });

  it("the gateway takes its master key from the secret, and no secret reaches the log", async () => {
    // An asset dir whose config names no master key of its own.
    const taskRoot = mkdtempSync(join(tmpdir(), "routeiq-lambda-asset-"));
    mkdirSync(join(taskRoot, "config"));
    writeFileSync(
      join(taskRoot, "config", "config.yaml"),
      stringify({ model_list: [{ model_name: "demo", litellm_params: { model: "mock/demo" } }] }),
    );
    const gateway = lambdaGateway({ env, secrets, taskRoot, logger });
    const request = (key: string) =>
      gateway(
        albEvent("/v1/chat/completions", {
          headers: { authorization: `Bearer ${key}` },
          body: { model: "demo", messages: [{ role: "user", content: "hi" }] },
        }),
      );
    const answered = await request(MASTER_KEY);
    expect(answered.statusCode, bodyOf(answered)).toBe(200);
    expect((await request("sk-some-other-key")).statusCode).toBe(401);
    rmSync(taskRoot, { recursive: true, force: true });
    const log = logs.join("\n");
    expect(log).toContain("gateway ready");
    expect(log).not.toContain(MASTER_KEY);
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(encodeURIComponent(PASSWORD));
  });

  it("warns when the shipped config's dev master key shadows the secret's", async () => {
    const shadowed = lambdaGateway({
      env,
      secrets,
      taskRoot: fileURLToPath(new URL("../..", import.meta.url)),
      logger,
    });
    expect((await shadowed(albEvent("/_health/live"))).statusCode).toBe(200);
    expect(logs.join("\n")).toContain("general_settings.master_key is in force, not LITELLM_MASTER_KEY");
  });
});
