import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run build` ships a gateway that runs from dist/ + config/ alone: copied to an empty temp
 * dir, no node_modules anywhere above it, it starts on the embedded default (PGlite, whose
 * wasm/data files the bundle step copies beside the bundle) and answers with the shipped config.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHIPPED_MASTER_KEY = "sk-routeiq-dev-master-key";

let dir: string;
let child: ChildProcess | undefined;
let output = "";
let exited: Promise<number | null>;
let url: string;
let buildStderr: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "routeiq-bundle-"));
  // What `npm run build` runs, into the temp dir (another test may be rebuilding dist/ meanwhile).
  ({ stderr: buildStderr } = await promisify(execFile)(
    process.execPath,
    ["infra/bundle.mjs", "--outdir", join(dir, "dist")],
    { cwd: ROOT },
  ));
  cpSync(join(ROOT, "config"), join(dir, "config"), { recursive: true });

  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    // Nothing configured: blank counts as unset, whatever the test runner's environment holds.
    DATABASE_URL: "",
    REDIS_URL: "",
    REDIS_HOST: "",
    ROUTEIQ_DATA_DIR: join(dir, "data"),
  };
  // The shipped config/config.yaml (found relative to the working dir) and its master key.
  for (const name of ["LITELLM_CONFIG_PATH", "LITELLM_MASTER_KEY", "NODE_PATH", "NODE_OPTIONS"])
    delete env[name];
  // Node's permission model confines the process to the copy: reading a module or a wasm file
  // from the checkout (an absolute path baked into the bundle) fails instead of quietly working.
  const permission =
    Number(process.versions.node.split(".")[0]) >= 23 ? "--permission" : "--experimental-permission";
  child = spawn(
    process.execPath,
    // --allow-worker: the embedded database runs on a thread of its own (pglite-thread.ts).
    [
      permission,
      `--allow-fs-read=${dir}`,
      `--allow-fs-write=${dir}`,
      "--allow-worker",
      "dist/gateway-node.mjs",
    ],
    { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const proc = child;
  exited = new Promise((resolve) => proc.once("exit", (code) => resolve(code)));

  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  while (port === undefined && Date.now() < deadline && proc.exitCode === null) {
    const line = output.split("\n").find((l) => l.includes('"gateway listening"'));
    if (line !== undefined) port = (JSON.parse(line) as { port: number }).port;
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (port === undefined) throw new Error(`bundled gateway did not start:\n${output}`);
  url = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(() => {
  if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

describe("the built bundle", () => {
  it("starts from a copy of dist/ and config/ on the embedded default", async () => {
    const live = await fetch(`${url}/_health/live`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "alive" });
    // Embedded: no database or Redis to check, and PGlite's files are under the data dir.
    const ready = await fetch(`${url}/_health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: {} });
    expect(existsSync(join(dir, "data", "pglite"))).toBe(true);
    expect(output).toContain('"config":"config/config.yaml"');
  });

  it("answers a chat completion with the shipped config and master key", async () => {
    const client = new OpenAI({ apiKey: SHIPPED_MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
    const data = await client.chat.completions.create({
      model: "demo",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(data.choices[0]?.message.content).toBe(
      "Hello from RouteIQ! This answer came from the built-in mock provider.",
    );
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("stops cleanly on SIGTERM, its spend log written to PGlite", async () => {
    child?.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(output).toContain('"stopped"');
    expect(output).not.toContain("spend log entries not written before exit");
  });
});

describe("npm start's build step (--if-changed)", () => {
  it("records what the build read and wrote, and skips the next build when nothing changed", async () => {
    expect(buildStderr).not.toContain("next --if-changed builds again");
    const record = JSON.parse(readFileSync(join(dir, "dist", ".build-manifest.json"), "utf8")) as {
      inputs: Record<string, string>;
      outputs: string[];
    };
    for (const input of [
      "functions/gateway/node.ts",
      "shared/app.ts",
      "config/deploy.yaml",
      "package-lock.json",
    ])
      expect(Object.keys(record.inputs)).toContain(input);
    expect(
      Object.keys(record.inputs).some((input) => input.endsWith("@electric-sql/pglite/dist/pglite.wasm")),
    ).toBe(true);
    for (const output of [
      "gateway-node.mjs",
      "lambda/gateway/index.mjs",
      "lambda/gateway/config/config.yaml",
    ])
      expect(record.outputs).toContain(output);

    const bundle = join(dir, "dist", "gateway-node.mjs");
    const builtAt = statSync(bundle).mtimeMs;
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ["infra/bundle.mjs", "--outdir", join(dir, "dist"), "--if-changed"],
      { cwd: ROOT },
    );
    expect(stderr).toMatch(/dist\/ is up to date/);
    expect(statSync(bundle).mtimeMs).toBe(builtAt);
  });
});
