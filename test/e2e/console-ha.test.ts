import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { buildConsole } from "../../infra/bundle-console.mjs";
import { type LocalS3, startLocalS3 } from "../../infra/local/s3-server";
import { launchChromium, saveScreenshot } from "../support/browser";
import { MASTER_KEY } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis, runTag } from "../support/replicas";
import { type SpawnedGateway, spawnGateway } from "../support/spawn-gateway";

/**
 * The console's HA page on one replica of two gateway processes syncing config from an S3
 * stand-in under a leader lease: it names the leader and lists both replicas with the revision
 * each serves, and names the other one once the leader is stopped, with a higher fencing token.
 */

const BUCKET = "routeiq-console-ha";
const KEY = "configs/config.yaml";
const DOC_SHOTS = process.env.ROUTEIQ_CONSOLE_SCREENSHOTS;

let consoleDir: string;
let s3: LocalS3 | undefined;
let schema: TestSchema | undefined;
const gateways: SpawnedGateway[] = [];
let browser: Browser | undefined;
let page: Page | undefined;

interface Status {
  leader_election: { is_leader: boolean; holder_id: string };
}

const status = async (g: SpawnedGateway): Promise<Status> => {
  const response = await fetch(`${g.url}/llmrouter/config/sync/status`, {
    headers: { authorization: `Bearer ${MASTER_KEY}` },
  });
  return (await response.json()) as Status;
};

const config = {
  general_settings: { master_key: MASTER_KEY },
  model_list: [{ model_name: "synced", litellm_params: { model: "mock/synced" } }],
};

beforeAll(async () => {
  await requireRedis();
  consoleDir = await mkdtemp(join(tmpdir(), "routeiq-console-"));
  await buildConsole(consoleDir);
  s3 = await startLocalS3(BUCKET);
  await s3.put(KEY, stringify(config));
  schema = await createTestSchema("console_ha");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    // A roster of its own: gateways of other test files on this Redis are not these replicas.
    ROUTEIQ_REDIS_PREFIX: `console-ha-${runTag()}`,
    CONFIG_S3_BUCKET: BUCKET,
    CONFIG_S3_KEY: KEY,
    ...s3.clientEnv,
    CONFIG_SYNC_INTERVAL: "0.5",
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "2",
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "0.5",
    ROUTEIQ_REPLICA_HEARTBEAT_SECONDS: "0.5",
    ROUTEIQ_CONSOLE_DIR: consoleDir,
  };
  const started = await Promise.allSettled(
    [0, 1].map(() => spawnGateway(config, env, { startTimeoutMs: 60_000 })),
  );
  for (const result of started) if (result.status === "fulfilled") gateways.push(result.value);
  const failed = started.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 120_000);

afterEach(async ({ task }) => {
  if (task.result?.state === "fail" && page !== undefined) {
    console.error(`screenshot of the failing page: ${await saveScreenshot(page, `console-ha-${task.name}`)}`);
  }
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(
    gateways.map(async (g) => {
      if (g.child.exitCode === null && g.child.signalCode === null) g.child.kill("SIGKILL");
      await g.exited;
      await rm(g.dir, { recursive: true, force: true });
    }),
  );
  await schema?.drop();
  await s3?.close();
  await rm(consoleDir, { recursive: true, force: true });
});

describe("the console's HA page", () => {
  it("shows the leader, then the other replica once the leader is stopped", async () => {
    if (page === undefined) throw new Error("no browser page");
    const tab = page;
    // Wait for one replica to lead, then open the console on the other one.
    let leader: SpawnedGateway | undefined;
    await expect
      .poll(
        async () => {
          const statuses = await Promise.all(gateways.map(status));
          leader = gateways.find((_, i) => statuses[i]?.leader_election.is_leader);
          return leader !== undefined;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(true);
    if (leader === undefined) throw new Error("unreachable");
    const follower = gateways.find((g) => g !== leader) as SpawnedGateway;
    const leaderId = (await status(leader)).leader_election.holder_id;
    const followerId = (await status(follower)).leader_election.holder_id;

    await tab.goto(`${follower.url}/ui#/ha`);
    await tab.getByLabel("Master key").fill(MASTER_KEY);
    await tab.getByRole("button", { name: "Sign in" }).click();
    const shownLeader = tab.getByTestId("leader");
    await expect.poll(() => shownLeader.textContent(), { timeout: 15_000 }).toBe(leaderId);
    expect(await tab.getByTestId("replica").textContent()).toBe(followerId);
    expect(await tab.getByTestId("revision").textContent()).toMatch(/^\d+$/);
    // Every replica's own report, not only the answering one's.
    const replicaRows = tab.getByRole("table", { name: "replicas" }).locator("tbody tr");
    await expect.poll(() => replicaRows.count(), { timeout: 10_000 }).toBe(2);
    for (const id of [leaderId, followerId]) {
      const row = tab.locator(`tr[data-replica="${id}"]`);
      expect(await row.getByTestId("replica-revision").textContent()).toMatch(/^\d+ /);
      expect(await row.textContent()).toContain("ready");
    }
    expect(await tab.locator(`tr[data-replica="${leaderId}"]`).textContent()).toContain("yes");
    const tokenBefore = Number(await tab.getByTestId("fencing-token").textContent());
    if (DOC_SHOTS !== undefined)
      await tab.screenshot({ path: join(DOC_SHOTS, "console-ha.png"), fullPage: true });

    leader.child.kill("SIGTERM");
    // The page refreshes itself: no reload, no click.
    await expect.poll(() => shownLeader.textContent(), { timeout: 30_000, interval: 500 }).toBe(followerId);
    expect(Number(await tab.getByTestId("fencing-token").textContent())).toBeGreaterThan(tokenBefore);
    expect(await tab.getByRole("article", { name: "this replica" }).textContent()).toContain("Leadsyes");
    await expect.poll(() => replicaRows.count(), { timeout: 10_000 }).toBe(1);
    expect(await replicaRows.first().getAttribute("data-replica")).toBe(followerId);
  });
});
