import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../shared/app";
import { MASTER_KEY, startGateway } from "../support/gateway";

type Gateway = Awaited<ReturnType<typeof startGateway>>;
// biome-ignore lint/suspicious/noExplicitAny: the test walks an arbitrary JSON document
type Doc = any;

let gateway: Gateway;
let doc: Doc;

beforeAll(async () => {
  gateway = await startGateway({
    model_list: [{ model_name: "m", litellm_params: { model: "mock/m", mock_response: "hi" } }],
  });
  const response = await fetch(`${gateway.url}/openapi.json`);
  expect(response.status).toBe(200);
  doc = await response.json();
}, 60_000);

afterAll(async () => {
  await gateway?.shutdown();
});

describe("GET /openapi.json", () => {
  it("is a valid OpenAPI 3.1 document, served without a key", async () => {
    expect(doc.openapi).toBe("3.1.0");
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });

  it("describes every route the gateway serves", () => {
    const served = createApp(gateway.deps)
      .routes.filter((route) => route.method !== "ALL")
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    const described = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(served.length).toBeGreaterThan(40);
    expect([...new Set(served)].filter((route) => !described.includes(route))).toEqual([]);
    expect(described.filter((route) => !served.includes(route))).toEqual([]);
  });

  it("carries the request schemas the routes validate with", () => {
    const chat = doc.paths["/v1/chat/completions"].post.requestBody.content["application/json"].schema;
    expect(chat.required).toEqual(expect.arrayContaining(["model", "messages"]));
    const messages = doc.paths["/v1/messages"].post.requestBody.content["application/json"].schema;
    expect(messages.required).toEqual(expect.arrayContaining(["model", "messages", "max_tokens"]));
    const key = doc.paths["/key/generate"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(key.properties)).toEqual(
      expect.arrayContaining(["key_alias", "models", "max_budget"]),
    );
    const list = doc.paths["/key/list"].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(expect.arrayContaining(["page", "size"]));
    expect(doc.paths["/model/{model_id}/update"].patch.parameters[0]).toMatchObject({
      name: "model_id",
      in: "path",
    });
  });
});

describe("GET /docs", () => {
  it("serves the reference page and Scalar's script from the gateway itself", async () => {
    const page = await fetch(`${gateway.url}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('src="/docs/scalar.js"');
    expect(html).toContain('src="/docs/init.js"');
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const init = await (await fetch(`${gateway.url}/docs/init.js`)).text();
    expect(init).toContain('"url":"/openapi.json"');
    expect(init).toContain('"withDefaultFonts":false');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${gateway.url}/docs/scalar.js`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect(await script.text()).toContain("createApiReference");
  });
});
