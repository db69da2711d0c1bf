import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser";
import { startGateway } from "../support/gateway";

let gateway: Awaited<ReturnType<typeof startGateway>>;
let browser: Browser;

beforeAll(async () => {
  gateway = await startGateway({
    model_list: [{ model_name: "m", litellm_params: { model: "mock/m", mock_response: "hi" } }],
  });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.shutdown();
});

describe("the API reference at /docs", () => {
  it("renders the gateway's operations under its CSP, asking nothing of any other host", async () => {
    const page = await browser.newPage();
    const elsewhere: string[] = [];
    const refused: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(gateway.url) && !request.url().startsWith("data:"))
        elsewhere.push(request.url());
    });
    page.on("console", (message) => {
      if (message.text().includes("Content Security Policy")) refused.push(message.text());
    });
    await page.goto(`${gateway.url}/docs`);
    await page.getByText("/v1/chat/completions").first().waitFor({ timeout: 30_000 });
    expect(elsewhere).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });
});
