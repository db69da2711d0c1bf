import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { chat, generateKey } from "../support/replicas";

/**
 * Bodies nested thousands of levels deep are refused at parse time, on every route, with a 400
 * that says so. Nothing reaches an upstream, and nothing a client sends can cool a group down.
 */

const deep = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "deep" });
  const entry = (id: string) => ({
    model_name: "gpt",
    litellm_params: { model: "openai/gpt-real", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
    model_info: { id },
  });
  gateway = await startGateway({
    model_list: [entry("one"), entry("two")],
    router_settings: { allowed_fails: 1, cooldown_time: 60 },
    litellm_settings: { cache: true },
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

async function post(path: string, body: string, key = MASTER_KEY) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });
  return { status: response.status, body: (await response.json()) as { error?: { code?: string } } };
}

describe("a body nested deeper than 64 levels", () => {
  const paths = [
    "/v1/chat/completions",
    "/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/messages",
    "/key/generate",
    "/key/update",
    "/team/new",
    "/user/new",
  ];

  it.each(paths)("is refused with 400 json_too_deep on %s", async (path) => {
    const answer = await post(path, `{"model":"gpt","metadata":${deep(6_000)}}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe("json_too_deep");
  });

  it("never reaches the upstream nor cools the group, whoever sends it", async () => {
    const key = await generateKey(gateway);
    const before = upstream.requests.length;
    const body = `{"model":"gpt","messages":[{"role":"user","content":"hi"}],"extra":${deep(5_000)}}`;
    for (let i = 0; i < 4; i++) expect((await post("/v1/chat/completions", body, key)).status).toBe(400);
    expect(upstream.requests.length).toBe(before);
    // Both deployments still answer: nothing was counted against them.
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const answer = await chat(gateway, key, {
        model: "gpt",
        messages: [{ role: "user", content: `q${i}` }],
      });
      expect(answer.status).toBe(200);
      seen.add(answer.headers.get("x-routeiq-deployment") ?? "");
    }
    expect(seen).toEqual(new Set(["one", "two"]));
  });

  it("is accepted below the bound, where real requests (deep tool schemas) live", async () => {
    // 25 nested object schemas: 50 levels, plus the request's own 6.
    const parameters = JSON.parse(
      `${'{"type":"object","properties":{"x":'.repeat(25)}{"type":"string"}${"}}".repeat(25)}`,
    );
    const answer = await post(
      "/v1/chat/completions",
      JSON.stringify({
        model: "gpt",
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "f", parameters } }],
      }),
    );
    expect(answer.status).toBe(200);
  });
});
