import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { lambdaGateway } from "../../functions/gateway/lambda-gateway";
import { silentLogger } from "../../shared/logging/logger";
import { albEvent, bodyOf } from "../support/alb-events";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { REDIS_URL, requireRedis } from "../support/replicas";

/**
 * An upstream that answers a chat call with a redirect must not get the gateway to follow it: a
 * 307 would re-send the prompt and the Azure `api-key` to the other origin, a 303 would fetch an
 * internal URL and hand its body to the client as a completion. Both gateways, the Lambda one on
 * the runtime's own fetch and the Node one on undici, answer 502 without calling the target.
 */

const AZURE_KEY = "azure-api-key-never-forwarded";
const OPENAI_KEY = "sk-upstream-never-forwarded";
const PROMPT = "a prompt that must stay with its upstream";
const REDIRECT_BODY = "redirect-body-never-shown";
const INTERNAL_BODY = "internal-answer-never-shown";

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

async function recordingServer(
  answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string>; body: string },
): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    const { status, headers, body } = answer(req);
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let target: Awaited<ReturnType<typeof recordingServer>>;
let redirector: Awaited<ReturnType<typeof recordingServer>>;

const config = () => ({
  general_settings: { master_key: MASTER_KEY },
  model_list: [
    {
      model_name: "azure-307",
      litellm_params: {
        model: "azure/gpt-4o-prod",
        api_base: `${redirector.url}/307`,
        api_key: AZURE_KEY,
        api_version: "2024-10-21",
      },
    },
    {
      model_name: "openai-303",
      litellm_params: { model: "openai/gpt-4o", api_base: `${redirector.url}/303/v1`, api_key: OPENAI_KEY },
    },
  ],
});

const chat = (model: string) => ({ model, messages: [{ role: "user", content: PROMPT }] });

type Call = (model: string) => Promise<{ status: number; body: string }>;

beforeAll(async () => {
  target = await recordingServer(() => ({
    status: 200,
    body: JSON.stringify({
      id: "chatcmpl-internal",
      object: "chat.completion",
      created: 0,
      model: "internal",
      choices: [{ index: 0, message: { role: "assistant", content: INTERNAL_BODY }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  }));
  redirector = await recordingServer((req) => {
    const status = req.url?.startsWith("/307/") ? 307 : 303;
    // 307 keeps method, body and (in fetch) every header but Authorization; 303 turns into a GET.
    const location = status === 307 ? `${target.url}${req.url?.slice(4)}` : `${target.url}/internal/metadata`;
    return { status, headers: { location }, body: JSON.stringify({ error: { message: REDIRECT_BODY } }) };
  });
});

afterAll(async () => {
  await target?.close();
  await redirector?.close();
});

function expectRefused(call: Call) {
  it.each(["azure-307", "openai-303"])(
    "answers 502 for %s and never calls the redirect's target",
    async (model) => {
      const before = redirector.requests.length;
      const { status, body } = await call(model);
      expect(status).toBe(502);
      expect(JSON.parse(body).error).toMatchObject({ type: "api_error", code: "upstream_error" });
      expect(JSON.parse(body).error.message).toMatch(
        /answered with a redirect \(30[37]\); upstream redirects are not followed/,
      );
      expect(body).not.toContain(REDIRECT_BODY);
      expect(body).not.toContain(INTERNAL_BODY);
      expect(target.requests).toEqual([]);
      // Nothing is re-sent: one call reached the misbehaving upstream, and only it.
      expect(redirector.requests.length).toBe(before + 1);
      const sent = redirector.requests.at(-1);
      expect(sent?.body).toContain(PROMPT);
    },
  );
}

describe("the Lambda gateway (the runtime's fetch)", () => {
  let schema: TestSchema;
  let taskRoot: string;
  let handler: ReturnType<typeof lambdaGateway>;

  beforeAll(async () => {
    await requireRedis();
    schema = await createTestSchema("redirects");
    taskRoot = mkdtempSync(join(tmpdir(), "routeiq-redirects-"));
    mkdirSync(join(taskRoot, "config"));
    writeFileSync(join(taskRoot, "config", "config.yaml"), stringify(config()));
    handler = lambdaGateway({
      env: { DATABASE_URL: schema.url, REDIS_URL, LITELLM_RUN_DB_MIGRATIONS: "true" },
      secrets: () => {
        throw new Error("no secret is named");
      },
      taskRoot,
      logger: silentLogger,
    });
  }, 60_000);

  afterAll(async () => {
    await schema?.drop();
    if (taskRoot !== undefined) rmSync(taskRoot, { recursive: true, force: true });
  });

  expectRefused(async (model) => {
    const result = await handler(
      albEvent("/v1/chat/completions", {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
        body: chat(model),
      }),
    );
    return { status: result.statusCode, body: bodyOf(result) };
  });
});

describe("the Node gateway (undici)", () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    gateway = await startGateway(config());
  }, 60_000);

  afterAll(async () => {
    await gateway?.shutdown();
  });

  expectRefused(async (model) => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(chat(model)),
    });
    return { status: response.status, body: await response.text() };
  });
});
