import { writeFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { jsonLogger } from "../../shared/logging/logger";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { sample } from "../support/metrics";

const model = (name: string, reply: string, chunkMs = 0) => ({
  model_name: name,
  litellm_params: {
    model: `mock/${name}-${reply.length}`,
    mock_response: reply,
    mock_chunk_latency_ms: chunkMs,
  },
});
const configWith = (...models: ReturnType<typeof model>[]) =>
  stringify({ general_settings: { master_key: MASTER_KEY }, model_list: models });

let gateway: Awaited<ReturnType<typeof startGateway>>;
let client: OpenAI;
const logs: Array<Record<string, unknown>> = [];
const logger = jsonLogger((line) => void logs.push(JSON.parse(line)));

beforeAll(async () => {
  gateway = await startGateway(
    { model_list: [model("chat", "one two three four five six", 60)] },
    {},
    { logger },
  );
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.shutdown();
});

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

const modelIds = async () => (await client.models.list()).data.map((m) => m.id);

describe("local config file hot reload", () => {
  it("serves a changed file without a restart; requests in flight finish on the config they started with", async () => {
    const stream = await client.chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "count" }],
      stream: true,
    });
    const chunks = stream[Symbol.asyncIterator]();
    await chunks.next();

    writeFileSync(gateway.configPath, configWith(model("chat", "new reply"), model("added", "hello")));
    expect(await eventually(modelIds, (ids) => ids.includes("added"))).toEqual(["chat", "added"]);

    let rest = "";
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      rest += next.value.choices[0]?.delta.content ?? "";
    }
    expect(rest).toBe("two three four five six");

    const fresh = await client.chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(fresh.choices[0]?.message.content).toBe("new reply");
  });

  it("refuses an invalid file and keeps serving the last good config", async () => {
    writeFileSync(gateway.configPath, configWith(model("good", "still here")));
    await eventually(modelIds, (ids) => ids.includes("good"));
    writeFileSync(
      gateway.configPath,
      stringify({
        general_settings: { master_key: MASTER_KEY },
        model_list: [{ model_name: "bad", litellm_params: { model: "nope" } }],
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await modelIds()).toEqual(["good"]);
    const answer = await client.chat.completions.create({
      model: "good",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(answer.choices[0]?.message.content).toBe("still here");
  });
});

const refusals = () =>
  logs.filter((l) => l.message === "config change refused; keeping the last good config");

/** Writes `text` as the config file and waits until the watcher has refused it; returns its problems. */
async function refusedAfterWriting(text: string, at: Awaited<ReturnType<typeof startGateway>> = gateway) {
  const before = refusals().length;
  writeFileSync(at.configPath, text);
  const deadline = Date.now() + 5_000;
  while (refusals().length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return refusals().at(before)?.problems as string[] | undefined;
}

const refusedTotal = async (reason: string, at = gateway) =>
  sample(await (await fetch(`${at.url}/metrics`)).text(), "routeiq_config_reload_refused_total", {
    reason,
  }) ?? 0;

describe("a reload never opens the gateway", () => {
  const anonymousModels = () => fetch(`${gateway.url}/v1/models`).then((r) => r.status);

  it.each([
    ["an empty file (an editor truncating before it writes)", ""],
    ["a file of comments only", "# general_settings:\n#   master_key: gone\n"],
    ["an empty mapping", "{}\n"],
  ])("refuses %s: models and the master key stay, and it is counted", async (_name, text) => {
    writeFileSync(gateway.configPath, configWith(model("kept", "still here")));
    await eventually(modelIds, (ids) => ids.join() === "kept");
    const counted = await refusedTotal("invalid");

    expect(await refusedAfterWriting(text)).toEqual([
      "config is empty: expected a LiteLLM config (model_list, general_settings, ...)",
    ]);
    expect(await anonymousModels()).toBe(401);
    expect(await modelIds()).toEqual(["kept"]);
    expect(await refusedTotal("invalid")).toBe(counted + 1);
  });

  it("refuses a file whose master_key line was deleted, naming the cause, and counts it", async () => {
    writeFileSync(gateway.configPath, configWith(model("kept", "still here")));
    await eventually(modelIds, (ids) => ids.join() === "kept");
    const problems = await refusedAfterWriting(stringify({ model_list: [model("opened", "anyone")] }));
    expect(problems).toEqual([
      expect.stringMatching(/^general_settings\.master_key: missing .*never removes authentication/),
    ]);
    expect(await anonymousModels()).toBe(401);
    expect(await modelIds()).toEqual(["kept"]);
    expect(await refusedTotal("master_key_removed")).toBe(1);
    expect(JSON.stringify(logs)).not.toContain(MASTER_KEY);
  });
});

describe("a reload on a gateway reachable beyond loopback", () => {
  it("refuses to switch to the public dev key", async () => {
    const exposed = await startGateway({ model_list: [model("a", "x")] }, { HOST: "0.0.0.0" }, { logger });
    try {
      const problems = await refusedAfterWriting(
        stringify({
          general_settings: { master_key: "sk-routeiq-dev-master-key" },
          model_list: [model("a", "x")],
        }),
        exposed,
      );
      expect(problems).toEqual([expect.stringContaining("set a master key of your own")]);
      expect(await refusedTotal("dev_master_key", exposed)).toBe(1);
      const models = await fetch(`${exposed.url}/v1/models`, {
        headers: { authorization: "Bearer sk-routeiq-dev-master-key" },
      });
      expect(models.status).toBe(401);
    } finally {
      await exposed.shutdown();
    }
  });
});
