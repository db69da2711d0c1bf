import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type SpawnedGateway, spawnGateway } from "../support/spawn-gateway";

const slowStream = (chunkMs: number) => ({
  general_settings: { master_key: MASTER_KEY },
  model_list: [
    {
      model_name: "slow",
      litellm_params: {
        model: "mock/slow",
        mock_response: "one two three four five six seven eight",
        mock_chunk_latency_ms: chunkMs,
      },
    },
  ],
});

async function readStream(client: OpenAI) {
  const stream = await client.chat.completions.create({
    model: "slow",
    messages: [{ role: "user", content: "count" }],
    stream: true,
  });
  let text = "";
  let chunks = 0;
  const first = { resolve: () => {} };
  const firstChunk = new Promise<void>((resolve) => {
    first.resolve = resolve;
  });
  const done = (async () => {
    for await (const chunk of stream) {
      chunks += 1;
      if (chunks === 1) first.resolve();
      text += chunk.choices[0]?.delta.content ?? "";
    }
    return text;
  })();
  return { firstChunk, done };
}

describe("graceful shutdown", () => {
  let spawned: SpawnedGateway | undefined;
  afterEach(() => {
    spawned?.child.kill("SIGKILL");
    spawned = undefined;
  });

  it("on SIGTERM finishes an in-flight stream, refuses new connections, and exits 0", async () => {
    spawned = await spawnGateway(slowStream(100), { ROUTEIQ_DRAIN_TIMEOUT_SECONDS: "10" });
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${spawned.url}/v1`, maxRetries: 0 });
    const { firstChunk, done } = await readStream(client);
    await firstChunk;
    spawned.child.kill("SIGTERM");
    await expect(done).resolves.toBe("one two three four five six seven eight");
    expect(await spawned.exited).toBe(0);
    await expect(fetch(`${spawned.url}/_health/live`)).rejects.toThrow();
    expect(spawned.output()).toContain('"draining"');
  });

  it("cuts streams that outlive ROUTEIQ_DRAIN_TIMEOUT_SECONDS", async () => {
    spawned = await spawnGateway(slowStream(1_000), { ROUTEIQ_DRAIN_TIMEOUT_SECONDS: "0.3" });
    const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${spawned.url}/v1`, maxRetries: 0 });
    const { firstChunk, done } = await readStream(client);
    await firstChunk;
    const started = Date.now();
    spawned.child.kill("SIGTERM");
    await expect(done).rejects.toThrow();
    expect(await spawned.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(spawned.output()).toContain("drain timeout passed");
  });
});

describe("draining and load shedding", () => {
  it("readiness and new requests answer 503 while draining, liveness stays 200", async () => {
    const gateway = await startGateway(slowStream(0));
    try {
      gateway.deps.lifecycle.startDrain();
      const ready = await fetch(`${gateway.url}/_health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: "draining" });
      expect((await fetch(`${gateway.url}/_health/live`)).status).toBe(200);
      const refused = await fetch(`${gateway.url}/v1/models`, {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect((await refused.json()).error.type).toBe("service_unavailable_error");
    } finally {
      await gateway.shutdown();
    }
  });

  it("global_max_parallel_requests answers 503 beyond the limit instead of queueing", async () => {
    const config = slowStream(200);
    const gateway = await startGateway({
      ...config,
      general_settings: { master_key: MASTER_KEY, global_max_parallel_requests: 1 },
    });
    try {
      const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
      const { firstChunk, done } = await readStream(client);
      await firstChunk;
      const error = await client.models.list().catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 503 });
      await done;
      // The slot is released when the stream ends.
      await expect(client.models.list()).resolves.toBeTruthy();
    } finally {
      await gateway.shutdown();
    }
  });
});
