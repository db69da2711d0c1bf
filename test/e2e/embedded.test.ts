import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type SpawnedGateway, spawnGateway } from "../support/spawn-gateway";

/**
 * The embedded default on a bare machine: no DATABASE_URL, no REDIS_URL, so PGlite under
 * ROUTEIQ_DATA_DIR and in-process memory. What it stores must survive a restart.
 */

const MASTER_KEY = "sk-embedded-master";
const MODEL = "demo";
const REPLY = "Hello from the embedded gateway.";
const CONFIG = {
  general_settings: { master_key: MASTER_KEY },
  model_list: [
    {
      model_name: MODEL,
      litellm_params: { model: "mock/demo", mock_response: REPLY },
      model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 },
    },
  ],
};

const running: SpawnedGateway[] = [];

afterEach(() => {
  for (const gateway of running.splice(0)) {
    if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill("SIGKILL");
  }
});

/** The real entry with nothing configured but a data dir; the test runner's own settings must not leak in. */
async function startEmbedded(dataDir: string): Promise<SpawnedGateway> {
  const gateway = await spawnGateway(CONFIG, {
    // Blank counts as unset (functions/gateway/env.ts), whatever the parent process has.
    DATABASE_URL: "",
    REDIS_URL: "",
    REDIS_HOST: "",
    ROUTEIQ_DATA_DIR: dataDir,
  });
  running.push(gateway);
  return gateway;
}

async function stop(gateway: SpawnedGateway): Promise<void> {
  gateway.child.kill("SIGTERM");
  expect(await gateway.exited).toBe(0);
  expect(gateway.output()).toContain('"stopped"');
  expect(gateway.output()).not.toContain("spend log entries not written before exit");
}

async function management(gateway: SpawnedGateway, path: string, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  return { status: response.status, body: (await response.json()) as any };
}

async function chat(gateway: SpawnedGateway, apiKey: string, requestId: string): Promise<void> {
  const client = new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const data = await client.chat.completions.create(
    { model: MODEL, messages: [{ role: "user", content: "hello" }] },
    { headers: { "x-request-id": requestId } },
  );
  expect(data.choices[0]?.message.content).toBe(REPLY);
}

describe("embedded default (PGlite + memory)", () => {
  it("serves virtual keys with no services, and keeps keys and spend logs across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "routeiq-embedded-"));

    const first = await startEmbedded(dataDir);
    expect(first.output()).not.toContain("migrations failed");
    // Ready, and nothing to check: the embedded stores live and die with the process.
    const ready = await fetch(`${first.url}/_health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: {} });

    const generated = await management(first, "/key/generate", { key_alias: "embedded" });
    expect(generated.status).toBe(200);
    const { key, token: hash } = generated.body as { key: string; token: string };
    expect(key).toMatch(/^sk-/);
    await chat(first, key, "embedded-before-restart");
    // Straight to SIGTERM: the row is most likely still in the writer's buffer (it flushes every
    // second), so it is the shutdown that must write it.
    await stop(first);
    expect(existsSync(join(dataDir, "pglite"))).toBe(true);

    const second = await startEmbedded(dataDir);
    // The key was persisted in PGlite, not just held in memory.
    await chat(second, key, "embedded-after-restart");
    const invalid = await fetch(`${second.url}/v1/models`, {
      headers: { authorization: "Bearer sk-never-generated-0123456789" },
    });
    expect(invalid.status).toBe(401);

    const logs = await management(second, `/spend/logs?api_key=${hash}`);
    expect(logs.status).toBe(200);
    const rows = logs.body as Array<{
      api_key: string;
      model: string;
      spend: number;
      status: string;
      metadata: { request_id: string };
    }>;
    const before = rows.find((row) => row.metadata.request_id === "embedded-before-restart");
    expect(before).toMatchObject({ api_key: hash, model: MODEL, status: "success" });
    expect(before?.spend).toBeGreaterThan(0);

    const info = await management(second, `/key/info?key=${encodeURIComponent(key)}`);
    expect(info.status).toBe(200);
    expect(info.body.info.key_alias).toBe("embedded");
    // At least the first run's spend; the second request may not be flushed yet.
    expect(info.body.info.spend).toBeGreaterThanOrEqual(before?.spend ?? Number.POSITIVE_INFINITY);

    await stop(second);
  }, 90_000);
});
