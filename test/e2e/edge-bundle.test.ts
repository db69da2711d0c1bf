import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEdge } from "../../infra/bundle-edge.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Workers' limit on a script's compressed size on the free plan (10 MiB on paid plans). */
const FREE_PLAN_LIMIT = 3 * 1024 * 1024;

let dir: string;
let files: { file: string; bytes: number }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "routeiq-edge-bundle-"));
  files = await buildEdge(join(dir, "dist", "edge"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the edge bundle", () => {
  it("fits the free plan's compressed size, the tokenizer in a chunk of its own", async () => {
    const gzipped = await Promise.all(files.map(async ({ file }) => gzipSync(await readFile(file)).length));
    expect(gzipped.reduce((sum, bytes) => sum + bytes, 0)).toBeLessThan(FREE_PLAN_LIMIT);
    const main = files.find(({ file }) => file.endsWith("/worker.mjs"));
    const tokenizer = files.find(({ file }) => file.includes("/chunks/o200k_base"));
    // The ranks are parsed on a stream's first token count, not at every isolate start.
    expect(main?.bytes).toBeLessThan(tokenizer?.bytes ?? 0);
  });

  it("holds neither the AWS SDK nor Google's auth library: Bedrock and Vertex AI answer that the region serves them", async () => {
    const code = (await Promise.all(files.map(({ file }) => readFile(file, "utf8")))).join("\n");
    const has = (text: string) => code.includes(text);
    expect(has("Bedrock deployments are served by the region gateway, not the edge")).toBe(true);
    expect(has("Vertex AI deployments are served by the region gateway, not the edge")).toBe(true);
    expect(has("BedrockRuntimeClient")).toBe(false);
    expect(has("useJWTAccessWithScope")).toBe(false);
  });

  it("refuses a Node built-in, naming it, such as the TCP Redis adapter would bring", async () => {
    const entry = join(dir, "leaky.ts");
    await writeFile(
      entry,
      `export { redisKv } from ${JSON.stringify(join(ROOT, "shared/store/kv/redis.ts"))};\n`,
    );
    await expect(buildEdge(join(dir, "leaky"), entry)).rejects.toThrow(
      /Node built-in "\w+" reached the edge bundle via .*ioredis/,
    );
  });

  it("is what `wrangler deploy --dry-run` packages, offline, with the bindings wrangler.toml declares", async () => {
    await copyFile(join(ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
    await mkdir(join(dir, "out"));
    const { stdout } = await promisify(execFile)(
      join(ROOT, "node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--outdir", "out"],
      { cwd: dir, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
    );
    expect(stdout).toContain("--dry-run: exiting now.");
    expect(stdout).toContain("ROUTEIQ_METRICS");
    const packaged = await readdir(join(dir, "out"), { recursive: true });
    expect(packaged).toContain("worker.mjs");
    expect(packaged.some((file) => file.includes("o200k_base"))).toBe(true);
  }, 60_000);
});
