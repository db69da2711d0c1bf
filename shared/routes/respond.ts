import type { Context } from "hono";
import { SSE_HEADERS } from "../openai/sse";
import type { Served } from "./call-model";

/** An OpenAI-format answer: JSON text as the upstream wrote it, or the event stream. */
export function respond(c: Context, served: Served): Response {
  if (served.type === "stream") return c.body(served.body, 200, { ...SSE_HEADERS });
  return c.body(served.body, 200, { "content-type": "application/json" });
}
