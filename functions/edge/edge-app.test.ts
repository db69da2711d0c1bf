import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { GatewayEnv } from "../../shared/http/env";
import { settleAfterAnswer } from "./edge-app";

/** An execution context that records what the Worker is kept alive for. */
function executionContext() {
  const kept: Promise<unknown>[] = [];
  return {
    kept,
    ctx: { waitUntil: (p: Promise<unknown>) => void kept.push(p), passThroughOnException() {}, props: {} },
  };
}

describe("settleAfterAnswer", () => {
  it("keeps the request alive past a streamed answer until it is accounted for, then flushes", async () => {
    const events: string[] = [];
    let endStream = () => {};
    const app = new Hono<GatewayEnv>();
    app.use(
      settleAfterAnswer(
        async () => {
          events.push("flushed");
          return 0;
        },
        () => {},
      ),
    );
    app.get("/stream", (c) => {
      let accounted = () => {};
      c.set("accounted", new Promise<void>((resolve) => (accounted = resolve)));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
          endStream = () => {
            controller.close();
            events.push("accounted");
            accounted();
          };
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    });
    const { kept, ctx } = executionContext();
    const response = await app.request("/stream", {}, {}, ctx);
    expect(response.status).toBe(200);
    expect(kept).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual([]);
    endStream();
    await kept[0];
    expect(events).toEqual(["accounted", "flushed"]);
  });

  it("flushes after an answer that opened no accounting (an error), and reports rows left over", async () => {
    const left: number[] = [];
    const app = new Hono<GatewayEnv>();
    app.use(
      settleAfterAnswer(
        async () => 2,
        (count) => left.push(count),
      ),
    );
    app.get("/fails", () => {
      throw new Error("boom");
    });
    const { kept, ctx } = executionContext();
    expect((await app.request("/fails", {}, {}, ctx)).status).toBe(500);
    await Promise.all(kept);
    expect(left).toEqual([2]);
  });
});
