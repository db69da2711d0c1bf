import type { ResponsesRequest } from "./schema";
import type { ResponseObject } from "./types";

/** What the gateway says about a response whatever served it: its id, and the request's settings. */
export interface Echo {
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly request: ResponsesRequest;
  readonly store: boolean;
}

/**
 * A response as the client must see it: under the gateway's id and the model name it asked for,
 * echoing its own request (an upstream saw the conversation spelled out, with `store: false`).
 * What only the upstream knows (status, output, usage, reasoning, service tier) is kept.
 */
export function stampResponse(response: ResponseObject, echo: Echo): ResponseObject {
  const req = echo.request;
  return {
    ...response,
    id: echo.id,
    object: "response",
    created_at: echo.createdAt,
    model: req.model,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    metadata: req.metadata ?? {},
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    store: echo.store,
    temperature: req.temperature ?? 1,
    text: { ...req.text, format: req.text?.format ?? { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: typeof req.truncation === "string" ? req.truncation : "disabled",
    ...(req.user === undefined ? {} : { user: req.user }),
  };
}
