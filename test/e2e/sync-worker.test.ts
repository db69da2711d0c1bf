import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { type LocalS3, startLocalS3 } from "../../infra/local/s3-server";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { latestRevision } from "../../shared/store/tables/config-revisions";
import { readLease } from "../../shared/store/tables/leases";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";

const BUCKET = "routeiq-worker";
const KEY = "configs/config.yaml";

let s3: LocalS3;
let schema: TestSchema;
let sql: Sql;
let env: Record<string, string>;
const gets: number[] = [];

const upload = (body: string) => s3.put(KEY, body);
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
  s3 = await startLocalS3(BUCKET);
  s3.server.httpServer.on("request", (req, res) => {
    if (req.method === "GET" && req.url?.startsWith(`/${BUCKET}/${KEY}`))
      res.on("finish", () => gets.push(res.statusCode));
  });
  schema = await createTestSchema("worker");
  sql = pgSql({ connectionString: schema.url });
  env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: KEY,
    ...s3.clientEnv,
  };
});

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
  await s3?.close();
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
    expect(third.output).toContain('write \\"<provider>/<model>\\"');
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
      await s3.put("lambda/config.yaml", configWith("gamma"));
      const { handler } = await import("../../functions/sync/lambda");
      expect(await handler()).toEqual({ outcome: "published" });
      expect((await latestRevision(sql, "config_sync"))?.body).toContain("gamma");
      expect(await handler()).toEqual({ outcome: "unchanged" });
      await s3.put("lambda/config.yaml", "model_list: 3");
      await expect(handler()).rejects.toThrow("config sync invalid");
    } finally {
      vi.unstubAllEnvs();
    }
  }, 30_000);
});

describe("the sync worker (dist/sync-loop.mjs, here from source)", () => {
  it("holds its lease across sync runs spaced wider than the lease, publishes while leading, and releases it on SIGTERM", async () => {
    const lockName = "worker_loop";
    await upload(configWith("delta"));
    let output = "";
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "functions/sync/loop.ts"], {
      env: {
        ...process.env,
        ...env,
        LLMROUTER_CONFIG_SYNC_LOCK_NAME: lockName,
        LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "1.5",
        LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "0.3",
        // Far longer than the lease: leadership must not depend on sync runs to be renewed.
        CONFIG_SYNC_INTERVAL: "30",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await vi.waitFor(
        async () => expect((await latestRevision(sql, lockName))?.body, output).toContain("delta"),
        { timeout: 15_000, interval: 100 },
      );
      const held = await readLease(sql, lockName);
      expect(held?.holderId, output).toBeDefined();
      expect(output).toContain(`"holder_id":"${held?.holderId}"`);
      // Three lease lengths with no sync run in between: still the same holder, same fencing token.
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      const later = await readLease(sql, lockName);
      expect(later?.holderId).toBe(held?.holderId);
      expect(later?.fencingToken).toBe(held?.fencingToken);
      expect(later?.expiresAt.getTime()).toBeGreaterThan(Date.now());

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const after = await readLease(sql, lockName);
      expect(after === undefined || after.expiresAt.getTime() <= Date.now()).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 40_000);
});
