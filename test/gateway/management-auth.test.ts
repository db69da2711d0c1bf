import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashKey } from "../../shared/keys/key-material";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { admin, chat, generateKey } from "../support/replicas";

/**
 * What a virtual key holder can do on the management API: read its own /key/info and
 * /key/health, nothing else. Everything else says it needs the master key (403), so a LiteLLM
 * script run with the wrong key learns why instead of "invalid API key".
 */

let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  gateway = await startGateway({
    model_list: [{ model_name: "demo", litellm_params: { model: "mock/demo", mock_response: "hello" } }],
  });
});

afterAll(async () => {
  await gateway?.shutdown();
});

async function as(
  key: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...options.headers },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  return { status: response.status, body: (await response.json()) as any };
}

describe("a virtual key on the management API", () => {
  it("is told that other routes need the master key, and changes nothing", async () => {
    const key = await generateKey(gateway, { key_alias: "holder" });
    const other = await generateKey(gateway);
    const attempts: [string, string, unknown?][] = [
      ["POST", "/key/generate", {}],
      ["POST", "/key/update", { key, max_budget: 1e9 }],
      ["POST", "/key/regenerate", { key }],
      ["POST", `/key/${key}/regenerate`],
      ["POST", "/key/unblock", { key }],
      ["POST", "/key/delete", { keys: [other] }],
      ["GET", "/key/list"],
      ["POST", "/team/new", {}],
      ["POST", "/team/member_add", { team_id: "t", member: { user_id: "me" } }],
      ["GET", "/user/list"],
      ["GET", "/spend/keys"],
      ["GET", "/spend/logs"],
      ["GET", "/global/spend"],
    ];
    for (const [method, path, body] of attempts) {
      const answer = await as(key, method, path, { body });
      expect({ path, status: answer.status, code: answer.body.error?.code }).toEqual({
        path,
        status: 403,
        code: "master_key_required",
      });
      expect(answer.body.error.message).toMatch(/needs the master key/);
    }
    // Nothing changed: the other key still works, and this one has no new budget.
    expect((await chat(gateway, other, { model: "demo" })).status).toBe(200);
    expect((await admin(gateway, `/key/info?key=${await hashKey(key)}`)).body.info.max_budget).toBeNull();
  });

  it("that does not exist is still an invalid API key (401)", async () => {
    const answer = await as("sk-not-a-key-of-this-gateway", "GET", "/key/list");
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("invalid_api_key");
  });

  it("reads its own /key/info, named or not, and no other key's", async () => {
    const key = await generateKey(gateway, { key_alias: "self", max_budget: 3, metadata: { app: "x" } });
    const other = await generateKey(gateway, { key_alias: "someone-else" });
    const token = await hashKey(key);

    for (const ask of [
      as(key, "GET", "/key/info"),
      as(key, "GET", `/key/info?key=${encodeURIComponent(key)}`),
      as(key, "GET", "/key/info", { headers: { "x-routeiq-key": token } }),
    ]) {
      const answer = await ask;
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ key: token, info: { token, key_alias: "self", max_budget: 3 } });
      expect(JSON.stringify(answer.body)).not.toContain(key);
    }

    const missing = "0".repeat(64);
    for (const ref of [other, await hashKey(other), missing]) {
      for (const ask of [
        as(key, "GET", `/key/info?key=${encodeURIComponent(ref)}`),
        as(key, "GET", "/key/info", { headers: { "x-routeiq-key": ref } }),
      ]) {
        const answer = await ask;
        // The same answer whether the other key exists or not: nothing to learn about it.
        expect(answer.status).toBe(403);
        expect(answer.body.error.code).toBe("not_own_key");
        expect(JSON.stringify(answer.body)).not.toContain("someone-else");
      }
    }

    // The master key must still name the key it asks about.
    expect((await as(MASTER_KEY, "GET", "/key/info")).status).toBe(400);
  });

  it("that is blocked is refused even its own info", async () => {
    const key = await generateKey(gateway);
    expect((await admin(gateway, "/key/block", { key })).status).toBe(200);
    const answer = await as(key, "GET", "/key/info");
    expect(answer.status).toBe(403);
    expect(answer.body.error.code).toBe("key_blocked");
  });

  it("asks /key/health about itself", async () => {
    const key = await generateKey(gateway);
    const answer = await as(key, "POST", "/key/health");
    expect(answer).toEqual({ status: 200, body: { key: "healthy", logging_callbacks: null } });
    expect((await as(MASTER_KEY, "POST", "/key/health")).status).toBe(200);
  });
});

describe("/key/regenerate", () => {
  it("replaces the secret at once: the old key is refused, the new one served", async () => {
    const old = await generateKey(gateway, { rpm_limit: 100 });
    // Cached by the gateway before the change.
    expect((await chat(gateway, old, { model: "demo" })).status).toBe(200);
    const regenerated = await admin(gateway, `/key/${await hashKey(old)}/regenerate`, {});
    expect(regenerated.status).toBe(200);
    const refused = await chat(gateway, old, { model: "demo" });
    expect(refused.status).toBe(401);
    expect(refused.code).toBe("invalid_api_key");
    expect((await chat(gateway, regenerated.body.key, { model: "demo" })).status).toBe(200);
    expect(regenerated.body.rpm_limit).toBe(100);
  });
});

describe("general_settings.allowed_routes", () => {
  let narrow: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    narrow = await startGateway({
      model_list: [{ model_name: "demo", litellm_params: { model: "mock/demo", mock_response: "hello" } }],
      general_settings: { master_key: MASTER_KEY, allowed_routes: ["/v1/chat/completions", "info_routes"] },
    });
  });

  afterAll(async () => {
    await narrow?.shutdown();
  });

  const call = async (method: string, path: string, key: string | undefined = MASTER_KEY) => {
    const response = await fetch(`${narrow.url}${path}`, {
      method,
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        "content-type": "application/json",
      },
      body:
        method === "POST"
          ? JSON.stringify({ model: "demo", messages: [{ role: "user", content: "hi" }] })
          : undefined,
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
    return { status: response.status, body: (await response.text()) as any };
  };

  it("serves the routes listed, to every caller", async () => {
    expect((await call("POST", "/v1/chat/completions")).status).toBe(200);
    expect((await call("GET", "/key/list")).status).toBe(200);
  });

  it("refuses every other route with 403, master key or none, before authentication", async () => {
    for (const [method, path, key] of [
      ["POST", "/chat/completions", MASTER_KEY],
      ["GET", "/v1/models", MASTER_KEY],
      ["POST", "/key/generate", MASTER_KEY],
      ["GET", "/global/spend", MASTER_KEY],
      ["GET", "/llmrouter/config/sync/status", MASTER_KEY],
      ["POST", "/key/generate", undefined],
      ["GET", "/no/such/route", undefined],
    ] as const) {
      const answer = await call(method, path, key);
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(JSON.parse(answer.body).error).toMatchObject({
        code: "route_not_allowed",
        type: "permission_error",
      });
    }
  });

  it("never refuses the probes and /metrics, LiteLLM's public routes", async () => {
    for (const path of [
      "/_health/live",
      "/_health/ready",
      "/health/liveliness",
      "/health/readiness",
      "/metrics",
    ]) {
      expect({ path, status: (await call("GET", path, undefined)).status }).toEqual({ path, status: 200 });
    }
  });
});
