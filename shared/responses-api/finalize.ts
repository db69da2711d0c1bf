import { encodeSse, parseSse } from "../openai/sse";
import { encodeEvent } from "./sse";
import { type Echo, stampResponse } from "./stamp";
import { type ResponseEvent, type ResponseObject, TERMINAL_EVENTS } from "./types";

/** Called with a finished response before the client hears it finished; must not throw. */
export type OnFinished = (response: ResponseObject) => Promise<void>;

/** Responses worth keeping: those that ended with an answer, whole or cut at its output limit. */
export const isKept = (response: ResponseObject): boolean =>
  response.status === "completed" || response.status === "incomplete";

function parseEvent(data: string): ResponseEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return parsed !== null && typeof parsed === "object" ? (parsed as ResponseEvent) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The last step of a streamed response: each event's response stamped (`stampResponse`), events
 * numbered from 0 in the order the client gets them (whatever served them: an upstream, the chat
 * translation, the cache), and the finished response handed to `onFinished` before its terminal
 * event is sent, so a client that continues the conversation the moment it has that event finds
 * it stored. Cancelling the result cancels `body` (the upstream, and its charging).
 */
export function finalizeStream(
  body: ReadableStream<Uint8Array>,
  echo: Echo,
  onFinished: OnFinished,
): ReadableStream<Uint8Array> {
  const reader = parseSse(body).getReader();
  let sequence = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      const event = parseEvent(value.data);
      if (event === undefined) {
        controller.enqueue(encodeSse(value.data, value.event));
        return;
      }
      if (event.response !== undefined) {
        event.response = stampResponse(event.response, echo);
        if (TERMINAL_EVENTS.has(event.type) && isKept(event.response)) await onFinished(event.response);
      }
      event.sequence_number = sequence++;
      controller.enqueue(encodeEvent(event));
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
