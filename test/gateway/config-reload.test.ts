import { writeFileSync } from "node:fs";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { MASTER_KEY, startGateway } from "../support/gateway";

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

beforeAll(async () => {
  gateway = await startGateway({ model_list: [model("chat", "one two three four five six", 60)] });
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
