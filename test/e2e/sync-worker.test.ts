import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { latestRevision } from "../../shared/store/tables/config-revisions";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";

const BUCKET = "routeiq-worker";
const KEY = "configs/config.yaml";

let server: S3rver;
let directory: string;
let admin: S3Client;
let schema: TestSchema;
let sql: Sql;
let env: Record<string, string>;
const gets: number[] = [];

const upload = (body: string) => admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));
const configWith = (...models: string[]) =>
  stringify({ model_list: models.map((m) => ({ model_name: m, litellm_params: { model: `mock/${m}` } })) });

/** `npm run sync` as CI and a cron job run it: a process that does one run and exits. */
function runSync(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "functions/sync/node.ts"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => resolve({ code, output }));
  });
}

beforeAll(async () => {
  await requireRedis();
  directory = await mkdtemp(join(tmpdir(), "routeiq-worker-s3-"));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  // s3rver's PUT is not atomic: a GET racing it gets a short body and would wait for the idle
  // keep-alive close (about 6 s); drop idle connections sooner so such a poll fails fast.
  server.httpServer.keepAliveTimeout = 500;
  const endpoint = `http://127.0.0.1:${port}`;
  server.httpServer.on("request", (req, res) => {
    if (req.method === "GET" && req.url?.startsWith(`/${BUCKET}/${KEY}`))
      res.on("finish", () => gets.push(res.statusCode));
  });
  admin = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  schema = await createTestSchema("worker");
  sql = pgSql({ connectionString: schema.url });
  env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: KEY,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
});

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
  admin?.destroy();
  server?.httpServer.closeAllConnections();
  await server?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("npm run sync", () => {
  it("publishes a revision, then costs one bodiless request when nothing changed, and refuses an invalid object with exit 1", async () => {
    await upload(configWith("alpha"));
    const first = await runSync();
    expect(first.code, first.output).toBe(0);
    const published = await latestRevision(sql, "config_sync");
    expect(published?.body).toContain("alpha");
    expect(published?.fencingToken).toBeGreaterThan(0);

    gets.length = 0;
    const second = await runSync();
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain('"outcome":"unchanged"');
    expect(gets).toEqual([304]);
    expect((await latestRevision(sql, "config_sync"))?.revision).toBe(published?.revision);

    await upload(stringify({ model_list: [{ model_name: "x", litellm_params: { model: "no-provider" } }] }));
    const third = await runSync();
    expect(third.code).toBe(1);
    expect(third.output).toContain('expected \\"<provider>/<model>\\"');
    expect((await latestRevision(sql, "config_sync"))?.revision).toBe(published?.revision);

    await upload(configWith("alpha", "beta"));
    const fourth = await runSync();
    expect(fourth.code, fourth.output).toBe(0);
    expect((await latestRevision(sql, "config_sync"))?.body).toContain("beta");
  }, 60_000);
});

describe("the scheduled Lambda handler", () => {
  it("does one run per invocation on the same code path, and fails the invocation on an invalid object", async () => {
    for (const [name, value] of Object.entries({ ...env, CONFIG_S3_KEY: "lambda/config.yaml" }))
      vi.stubEnv(name, value);
    try {
      await admin.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "lambda/config.yaml", Body: configWith("gamma") }),
      );
      const { handler } = await import("../../functions/sync/lambda");
      expect(await handler()).toEqual({ outcome: "published" });
      expect((await latestRevision(sql, "config_sync"))?.body).toContain("gamma");
      expect(await handler()).toEqual({ outcome: "unchanged" });
      await admin.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: "lambda/config.yaml", Body: "model_list: 3" }),
      );
      await expect(handler()).rejects.toThrow("config sync invalid");
    } finally {
      vi.unstubAllEnvs();
    }
  }, 30_000);
});
