import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL } from "../support/replicas";
import { type SpawnedGateway, spawnGateway } from "../support/spawn-gateway";

const MASTER_KEY = "sk-workers-test-master";
const config = {
  model_list: [
    {
      model_name: "m",
      litellm_params: { model: "openai/m", api_base: "http://127.0.0.1:9/v1", api_key: "sk-up" },
    },
  ],
  general_settings: { master_key: MASTER_KEY },
};

const started: SpawnedGateway[] = [];
const schemas: TestSchema[] = [];

afterEach(async () => {
  for (const gateway of started.splice(0)) {
    for (const pid of childrenOf(gateway.child.pid as number)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    gateway.child.kill("SIGKILL");
  }
  for (const schema of schemas.splice(0)) await schema.drop();
});

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter((p) => p !== "")
      .map(Number);
  } catch {
    return [];
  }
}

const listening = (gateway: SpawnedGateway) =>
  gateway
    .output()
    .split("\n")
    .filter((line) => line.includes('"gateway listening"')).length;

async function eventually(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("--num_workers / NUM_WORKERS", () => {
  it("runs N processes on one port with PostgreSQL and Redis, replaces one that dies, and drains them all on SIGTERM", async () => {
    const schema = await createTestSchema("workers");
    schemas.push(schema);
    const gateway = await spawnGateway(
      config,
      {
        NUM_WORKERS: "2",
        DATABASE_URL: schema.url,
        REDIS_URL,
        ROUTEIQ_REDIS_PREFIX: `workers${process.pid}`,
      },
      { startTimeoutMs: 90_000 },
    );
    started.push(gateway);
    const primary = gateway.child.pid as number;
    await eventually("both workers listening", () => listening(gateway) === 2);
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);

    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);

    process.kill(workers[0] as number, "SIGKILL");
    await eventually("a replacement worker listening", () => listening(gateway) === 3);
    const replaced = childrenOf(primary);
    expect(replaced).toHaveLength(2);
    expect(replaced).not.toContain(workers[0]);
    expect(gateway.output()).toContain('"worker exited; starting another"');
    expect((await fetch(`${gateway.url}/health/liveliness`)).status).toBe(200);

    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toBe(0);
    expect(
      gateway
        .output()
        .split("\n")
        .filter((line) => line.includes('"stopped"')),
    ).toHaveLength(2);
  }, 180_000);

  it("runs one process on the embedded stores and says why", async () => {
    const gateway = await spawnGateway(
      config,
      {
        NUM_WORKERS: "3",
        DATABASE_URL: "",
        REDIS_URL: "",
        REDIS_HOST: "",
      },
      // PGlite's first start (initdb, migrations) is slow on a loaded machine.
      { startTimeoutMs: 150_000 },
    );
    started.push(gateway);
    expect(childrenOf(gateway.child.pid as number)).toEqual([]);
    const warning = gateway
      .output()
      .split("\n")
      .find((line) => line.includes("running one process instead of the workers asked for"));
    expect(warning).toContain("DATABASE_URL and REDIS_URL");
    expect((await fetch(`${gateway.url}/health/liveliness`)).status).toBe(200);
  }, 200_000);
});
