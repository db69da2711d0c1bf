import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { knownProviders } from "../../shared/config/providers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

const running: ChildProcess[] = [];

afterEach(() => {
  for (const child of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** Runs the real Node entry, as `npm start` does, on a config written to a temp file. */
function runEntry(config: Record<string, unknown> | string, env: Record<string, string> = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), "routeiq-startup-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, typeof config === "string" ? config : stringify(config));
  return spawnEntry(configPath, env);
}

function spawnEntry(configPath: string, env: Record<string, string> = {}): Run {
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    ...env,
  };
  // The developer's own key must not leak into a test of "no master key".
  if (env.LITELLM_MASTER_KEY === undefined) delete childEnv.LITELLM_MASTER_KEY;
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "functions/gateway/node.ts", "--config", configPath],
    {
      cwd: ROOT,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** JSON log lines the process wrote to stdout. */
const logLines = (run: Run): Array<Record<string, unknown>> =>
  run
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function listeningPort(run: Run): Promise<number> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    const line = logLines(run).find((l) => l.message === "gateway listening");
    if (line !== undefined) return line.port as number;
    if (run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gateway did not start:\n${run.stdout()}\n${run.stderr()}`);
}

describe("gateway process startup", () => {
  it("exits 1 on an invalid config, listing every problem by path", async () => {
    const run = runEntry({
      model_list: [
        { model_name: "a", litellm_params: { model: "my-model" } },
        { model_name: "b", litellm_params: { model: "mock/x", rpm: 0 } },
        {
          model_name: "c",
          litellm_params: { model: "openai/gpt-4o", api_key: "os.environ/UNSET_FOR_TEST_API_KEY" },
        },
      ],
    });
    expect(await run.exited).toBe(1);
    const expected = [
      "model_list[2].litellm_params.api_key: environment variable UNSET_FOR_TEST_API_KEY is not set (referenced as os.environ/UNSET_FOR_TEST_API_KEY)",
      "model_list[1].litellm_params.rpm: Too small: expected number to be >0",
      `model_list[0].litellm_params.model: "my-model" has no provider and is not a model RouteIQ knows the provider of; write "<provider>/<model>", e.g. "openai/my-model" or "hosted_vllm/my-model" (providers: ${knownProviders.join(", ")})`,
    ];
    // Human-readable on stderr, one problem a line...
    expect(run.stderr()).toContain("invalid config ");
    for (const problem of expected) expect(run.stderr()).toContain(`  - ${problem}`);
    // ...and as a structured log line for log shippers.
    const refused = logLines(run).find((l) => l.message === "refusing to start: invalid config");
    expect(refused?.level).toBe("error");
    expect(refused?.problems).toEqual(expected);
    expect(logLines(run).some((l) => l.message === "gateway listening")).toBe(false);
  });

  it("exits 1 listing every problem found after the schema checks pass", async () => {
    const run = runEntry({
      model_list: [
        { model_name: "a", litellm_params: { model: "azure/my-deployment" } },
        { model_name: "a", litellm_params: { model: "mock/x" }, model_info: { id: "same" } },
        { model_name: "a", litellm_params: { model: "mock/y" }, model_info: { id: "same" } },
      ],
      router_settings: { fallbacks: [{ a: ["nope"] }] },
    });
    expect(await run.exited).toBe(1);
    for (const problem of [
      'model_list[0].litellm_params.api_base: required for provider "azure"',
      'model_list[2].model_info.id: duplicate deployment id "same"',
      'router_settings.fallbacks[0].a: unknown model group "nope"; known: a',
    ]) {
      expect(run.stderr()).toContain(problem);
    }
  });

  it("exits 1 on YAML that does not parse", async () => {
    const run = runEntry("model_list:\n  - model_name: a\n    litellm_params: { model: mock/x\n");
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/ {2}- yaml: .*line \d+/);
  });

  it("exits 1 naming a bad environment variable", async () => {
    const run = runEntry({ model_list: [] }, { PORT: "abc" });
    expect(await run.exited).toBe(1);
    const refused = logLines(run).find((l) => l.message === "refusing to start");
    expect(refused?.error).toMatch(/PORT: /);
  });

  it("exits 1 when the config file does not exist, naming it and how to choose another", async () => {
    const run = spawnEntry("/nonexistent/routeiq.yaml");
    expect(await run.exited).toBe(1);
    const refused = logLines(run).find((l) => l.message === "refusing to start");
    expect(refused?.error).toBe(
      "config file /nonexistent/routeiq.yaml does not exist: choose the config file with --config <path> or LITELLM_CONFIG_PATH (default: config/config.yaml)",
    );
  });

  it("exits 1 naming DATABASE_URL when it is not a URL, never echoing it", async () => {
    const run = runEntry({ model_list: [] }, { DATABASE_URL: "notaurl-secret", LITELLM_MASTER_KEY: "sk-m" });
    expect(await run.exited).toBe(1);
    const refused = logLines(run).find((l) => l.message === "refusing to start");
    expect(refused?.error).toBe(
      "invalid environment:\n  - DATABASE_URL: expected a PostgreSQL URL such as postgresql://user:password@host:5432/routeiq; the value is not a URL",
    );
    expect(run.stdout() + run.stderr()).not.toContain("notaurl-secret");
  });

  it("exits 1 naming general_settings.database_url when that database cannot be reached, never falling back to the embedded one", async () => {
    const run = runEntry({
      model_list: [],
      general_settings: { master_key: "sk-m", database_url: "postgresql://u:db-secret@127.0.0.1:1/routeiq" },
    });
    expect(await run.exited).toBe(1);
    const refused = logLines(run).find((l) => l.message === "refusing to start");
    expect(refused?.error).toMatch(
      /^general_settings\.database_url in \S+config\.yaml: cannot use the database at 127\.0\.0\.1:1\/routeiq: connection refused; /,
    );
    expect(run.stdout() + run.stderr()).not.toContain("db-secret");
  });

  it("exits 1 on an empty config file", async () => {
    const run = runEntry("# everything commented out\n");
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain("  - config is empty");
  });

  it("refuses to start with no master key, naming both ways to fix it", async () => {
    const run = runEntry({ model_list: [{ model_name: "demo", litellm_params: { model: "mock/x" } }] });
    expect(await run.exited).toBe(1);
    const refused = logLines(run).find((l) => l.message === "refusing to start: invalid config");
    expect(refused?.problems).toEqual([
      expect.stringMatching(
        /^general_settings\.master_key: not set, and neither is LITELLM_MASTER_KEY: .*set ROUTEIQ_ALLOW_NO_MASTER_KEY=true to run it open on purpose$/,
      ),
    ]);
    expect(logLines(run).some((l) => l.message === "gateway listening")).toBe(false);
  });

  it("serves without auth only when opted out, warns loudly, then stops cleanly on SIGTERM", async () => {
    const run = runEntry(
      {
        model_list: [{ model_name: "demo", litellm_params: { model: "mock/x", mock_response: "open door" } }],
        litellm_settings: { success_callback: ["langfuse"] },
      },
      { ROUTEIQ_ALLOW_NO_MASTER_KEY: "true" },
    );
    const port = await listeningPort(run);
    const warning = logLines(run).find((l) => String(l.message).includes("NO MASTER KEY"));
    expect(warning?.level).toBe("warn");
    const ignored = logLines(run).find((l) => l.message === "config key ignored");
    expect(ignored?.detail).toMatch(
      /^litellm_settings\.success_callback: "langfuse" is not available in RouteIQ/,
    );

    const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toBe("open door");

    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(logLines(run).some((l) => l.message === "stopped")).toBe(true);
  });

  it("requires the master key from LITELLM_MASTER_KEY and does not warn", async () => {
    const run = runEntry(
      { model_list: [{ model_name: "demo", litellm_params: { model: "mock/x" } }] },
      { LITELLM_MASTER_KEY: "sk-from-env" },
    );
    const port = await listeningPort(run);
    expect(run.stdout()).not.toContain("NO MASTER KEY");
    const ask = (key?: string) =>
      fetch(`http://127.0.0.1:${port}/v1/models`, {
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      });
    expect((await ask()).status).toBe(401);
    expect((await ask("sk-from-env")).status).toBe(200);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  it("with the shipped config's dev key and HOST unset: listens on loopback only, and warns that LITELLM_MASTER_KEY is overridden", async () => {
    // `LITELLM_MASTER_KEY=sk-mine npm start`, then the README's first request.
    const run = spawnEntry("config/config.yaml", {
      HOST: "",
      LITELLM_MASTER_KEY: "sk-mine",
      ROUTEIQ_DATA_DIR: mkdtempSync(join(tmpdir(), "routeiq-startup-")),
    });
    const port = await listeningPort(run);
    expect(logLines(run).find((l) => l.message === "gateway listening")?.host).toBe("127.0.0.1");
    const overridden = logLines(run).find((l) =>
      String(l.message).includes("is in force, not LITELLM_MASTER_KEY"),
    );
    expect(overridden?.level).toBe("warn");
    expect(run.stdout()).not.toContain("sk-mine");
    expect(run.stdout()).not.toContain("sk-routeiq-dev-master-key");
    const chat = (key: string) =>
      fetch(`http://localhost:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Hello!" }] }),
      });
    expect((await chat("sk-routeiq-dev-master-key")).status).toBe(200);
    // LiteLLM's precedence: the key in the file wins.
    expect((await chat("sk-mine")).status).toBe(401);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  });

  it("refuses HOST=0.0.0.0 with the dev key, saying how to fix it", async () => {
    const run = spawnEntry("config/config.yaml", { HOST: "0.0.0.0" });
    expect(await run.exited).toBe(1);
    const refused = logLines(run).find((l) => l.message === "refusing to start");
    expect(refused?.error).toMatch(
      /^HOST=0\.0\.0\.0: .*public development key.*Set a master key of your own/,
    );
  });
});
