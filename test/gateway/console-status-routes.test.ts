import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";

/**
 * The read-only routes the console's Models and HA pages read: each model group's deployments with
 * the router's live view of them, and the config sync lease as the database holds it.
 */

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

/** `key` null sends none. */
const get = async (path: string, key: string | null = MASTER_KEY) => {
  const response = await fetch(`${gateway.url}${path}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "status-routes" });
  const deployment = (id: string) => ({
    model_name: "gpt-4o",
    litellm_params: { model: `openai/${id}`, api_base: `${upstream.url}/v1`, api_key: "sk-upstream-secret" },
    model_info: { id },
  });
  gateway = await startGateway({
    model_list: [deployment("east"), deployment("west")],
    router_settings: { num_retries: 0, cooldown_time: 600 },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

describe("GET /llmrouter/deployments", () => {
  it("needs the master key", async () => {
    expect((await get("/llmrouter/deployments", null)).status).toBe(401);
    expect((await get("/llmrouter/deployments", "sk-not-master")).status).toBe(401);
  });

  it("lists each group's deployments with the router's state, a cooled-down one included, and no secrets", async () => {
    // 429 cools a deployment down at once.
    upstream.setBehaviour({ failNext: 1, failStatus: 429 });
    const failed = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(failed.status).toBe(429);
    const { status, body } = await get("/llmrouter/deployments");
    expect(status).toBe(200);
    const [group] = body.data as { model_group: string; deployments: Record<string, unknown>[] }[];
    expect(group?.model_group).toBe("gpt-4o");
    expect(group?.deployments.map((d) => d.id).sort()).toEqual(["east", "west"]);
    const cooling = group?.deployments.filter((d) => d.cooling_down === true) ?? [];
    expect(cooling).toHaveLength(1);
    expect(Date.parse(String(cooling[0]?.cooldown_until))).toBeGreaterThan(Date.now());
    expect(group?.deployments[0]).toMatchObject({
      provider: "openai",
      in_flight: 0,
      api_base: `${upstream.url}/v1`,
    });
    expect(JSON.stringify(body)).not.toContain("sk-upstream-secret");
  });
});

describe("GET /llmrouter/config/sync/lease", () => {
  it("answers the lease as stored (none without S3 sync), behind the master key", async () => {
    expect((await get("/llmrouter/config/sync/lease", null)).status).toBe(401);
    const { status, body } = await get("/llmrouter/config/sync/lease");
    expect(status).toBe(200);
    expect(body).toEqual({
      lock_name: "config_sync",
      holder_id: null,
      expires_at: null,
      fencing_token: null,
      expired: null,
    });
  });
});
