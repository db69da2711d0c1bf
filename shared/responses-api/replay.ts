import type { Json, OutputItem, ResponseEvent, ResponseObject } from "./types";
import { TERMINAL_EVENTS } from "./types";

/**
 * Converters between the two shapes a response is cached in, so either serves both kinds of
 * request: the complete Response object, and the `data:` payloads of its stream.
 */

const TERMINAL_BY_STATUS: Readonly<Record<string, string>> = Object.freeze({
  completed: "response.completed",
  incomplete: "response.incomplete",
  failed: "response.failed",
});

/** An item as first announced: a message without its content, a call without its arguments. */
function announced(item: OutputItem): OutputItem {
  if (item.type === "message") return { ...item, status: "in_progress", content: [] };
  if (item.type === "function_call") return { ...item, status: "in_progress", arguments: "" };
  return item;
}

function messageEvents(item: OutputItem, outputIndex: number): ResponseEvent[] {
  const events: ResponseEvent[] = [];
  const content = (item as Json).content;
  const parts = Array.isArray(content) ? (content as Json[]) : [];
  parts.forEach((part, contentIndex) => {
    const at = { item_id: item.id, output_index: outputIndex, content_index: contentIndex };
    if (part.type === "output_text") {
      const text = String(part.text ?? "");
      events.push({ type: "response.content_part.added", ...at, part: { ...part, text: "" } });
      events.push({ type: "response.output_text.delta", ...at, delta: text, logprobs: [] });
      events.push({ type: "response.output_text.done", ...at, text, logprobs: [] });
    } else if (part.type === "refusal") {
      const refusal = String(part.refusal ?? "");
      events.push({ type: "response.content_part.added", ...at, part: { ...part, refusal: "" } });
      events.push({ type: "response.refusal.delta", ...at, delta: refusal });
      events.push({ type: "response.refusal.done", ...at, refusal });
    } else {
      events.push({ type: "response.content_part.added", ...at, part });
    }
    events.push({ type: "response.content_part.done", ...at, part });
  });
  return events;
}

/** The stream a complete response would have been, one delta per part. */
export function eventsOfResponse(response: ResponseObject): ResponseEvent[] {
  const inProgress: ResponseObject = { ...response, status: "in_progress", output: [], usage: null };
  const events: ResponseEvent[] = [
    { type: "response.created", response: inProgress },
    { type: "response.in_progress", response: inProgress },
  ];
  response.output.forEach((item, outputIndex) => {
    events.push({ type: "response.output_item.added", output_index: outputIndex, item: announced(item) });
    if (item.type === "message") events.push(...messageEvents(item, outputIndex));
    if (item.type === "function_call") {
      const at = { item_id: item.id, output_index: outputIndex };
      events.push({ type: "response.function_call_arguments.delta", ...at, delta: item.arguments });
      events.push({
        type: "response.function_call_arguments.done",
        ...at,
        arguments: item.arguments,
        name: item.name,
      });
    }
    events.push({ type: "response.output_item.done", output_index: outputIndex, item });
  });
  events.push({ type: TERMINAL_BY_STATUS[response.status] ?? "response.completed", response });
  return events;
}

/** The terminal event of a stream, parsed, if the payload is one. */
export function terminalResponse(payload: string): ResponseObject | undefined {
  if (!payload.includes('"response.')) return undefined;
  const event = JSON.parse(payload) as ResponseEvent;
  return TERMINAL_EVENTS.has(event.type) ? event.response : undefined;
}

/** The complete response a stream's payloads add up to: its terminal event's. */
export function responseOfEvents(payloads: readonly string[]): ResponseObject | undefined {
  for (let i = payloads.length - 1; i >= 0; i--) {
    const response = terminalResponse(payloads[i] as string);
    if (response !== undefined) return response;
  }
  return undefined;
}

/** Whether a cached stream may be stored: it ended with its response completed. */
export const completesResponse = (payload: string): boolean =>
  payload.includes('"response.completed"') && terminalResponse(payload)?.status === "completed";
