import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonLogger } from "../../shared/logging/logger";
import { startGateway } from "../support/gateway";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import { admin, chat } from "../support/replicas";

/**
 * Every API request leaves one log line when it ends: who (a key's alias or hash prefix, never the
 * key), which model and deployment, attempts, status, latency and tokens, never the content. A
 * request that fails after retries logs each attempt's cause at debug and its line at warn.
 */

// biome-ignore lint/suspicious/noExplicitAny: log lines are arbitrary JSON.
type Line = Record<string, any>;

let upstream: OpenAIUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
const lines: Line[] = [];

beforeAll(async () => {
  upstream = await startOpenAIUpstream({ name: "logged" });
  const entry = (id: string) => ({
    model_name: "gpt",
    litellm_params: { model: "openai/gpt-real", api_base: `${upstream.url}/v1`, api_key: "sk-up" },
    model_info: { id },
  });
  gateway = await startGateway(
    { model_list: [entry("one"), entry("two"), entry("three")], router_settings: { num_retries: 2 } },
    {},
    { logger: jsonLogger((line) => void lines.push(JSON.parse(line)), "debug") },
  );
});

afterAll(async () => {
  await gateway?.shutdown();
  await upstream?.close();
});

const requestLines = () => lines.filter((line) => line.message === "request");

describe("the request log", () => {
  it("writes one line per request naming the key by alias, never its content", async () => {
    const { body } = await admin(gateway, "/key/generate", { key_alias: "ci-key" });
    lines.length = 0;
    const answer = await chat(gateway, body.key, {
      model: "gpt",
      messages: [{ role: "user", content: "a secret question" }],
    });
    expect(answer.status).toBe(200);
    const [line, ...more] = requestLines();
    expect(more).toHaveLength(0);
    expect(line).toMatchObject({
      level: "info",
      key: "ci-key",
      model: "gpt",
      route: "/v1/chat/completions",
      status: 200,
      attempts: 1,
      request_id: answer.headers.get("x-request-id"),
    });
    expect(["one", "two", "three"]).toContain(line?.deployment);
    expect(line?.prompt_tokens).toBeGreaterThan(0);
    expect(line?.latency_ms).toBeGreaterThanOrEqual(0);
    const written = JSON.stringify(lines);
    expect(written).not.toContain("a secret question");
    expect(written).not.toContain(body.key);
  });

  it("logs each failed attempt's cause at debug and the request at warn", async () => {
    const { body } = await admin(gateway, "/key/generate", {});
    lines.length = 0;
    upstream.setBehaviour({ failNext: 3, failStatus: 503, failMessage: "overloaded upstream" });
    const answer = await chat(gateway, body.key, { model: "gpt" });
    expect(answer.status).toBe(502);
    const attempts = lines.filter((line) => line.message === "upstream attempt failed");
    expect(attempts).toHaveLength(3);
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ level: "debug", status: 503, model_group: "gpt" });
      expect(attempt.error).toContain("overloaded upstream");
    }
    expect(requestLines()).toEqual([expect.objectContaining({ level: "warn", status: 502, attempts: 3 })]);
  });
});
