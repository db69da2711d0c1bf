import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../logging/logger";
import { errorHandler, routeNotFound } from "./error-handler";

describe("a path no route serves", () => {
  it("answers 404 in OpenAI's error shape, naming the method and path asked for", async () => {
    const app = new Hono();
    app.onError(errorHandler(silentLogger));
    app.notFound(routeNotFound);
    app.get("/v1/models", (c) => c.json({ data: [] }));
    const response = await app.request("/v1/modles", { method: "POST" });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { type: "not_found_error", code: "route_not_found", message: "no route for POST /v1/modles" },
    });
  });
});
