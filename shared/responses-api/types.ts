/**
 * The parts of OpenAI's Responses API wire format the gateway reads or writes. Items the gateway
 * does not interpret (built-in tool calls, reasoning) travel as loose objects.
 */

export type Json = Record<string, unknown>;

export interface OutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  [key: string]: unknown;
}

export interface Refusal {
  type: "refusal";
  refusal: string;
}

export interface OutputMessage {
  type: "message";
  id: string;
  role: "assistant";
  status: "in_progress" | "completed" | "incomplete";
  content: Array<OutputText | Refusal>;
}

export interface FunctionCall {
  type: "function_call";
  id?: string;
  call_id: string;
  name: string;
  arguments: string;
  status?: "in_progress" | "completed" | "incomplete";
}

/** An item of a response's `output`; other types (reasoning, built-in tool calls) pass as they came. */
export type OutputItem = OutputMessage | FunctionCall | ({ type: string; id?: string } & Json);

/** An item of a request's `input`, once validated (a bare string input is one user message). */
export interface InputItem {
  type: string;
  id?: string;
  [key: string]: unknown;
}

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = "completed" | "failed" | "in_progress" | "incomplete" | "cancelled" | "queued";

/** A Response object; the echo of the request's settings is stamped on by `stampResponse`. */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  model: string;
  output: OutputItem[];
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  usage?: ResponsesUsage | null;
  [key: string]: unknown;
}

/** One server-sent event of a Responses stream: `type` is also the SSE event name. */
export interface ResponseEvent {
  type: string;
  sequence_number?: number;
  response?: ResponseObject;
  [key: string]: unknown;
}

/** The events that end a response: after one of these, the stream has nothing more to say. */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set([
  "response.completed",
  "response.incomplete",
  "response.failed",
]);
