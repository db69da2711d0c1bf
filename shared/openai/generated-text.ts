import type { Usage } from "./types";

/** What the generated text of an OpenAI answer sits in: a chunk's `delta`, a completion's `message`. */
interface Generated {
  content?: unknown;
  reasoning_content?: unknown;
  refusal?: unknown;
  tool_calls?: Array<{ function?: { name?: unknown; arguments?: unknown } }>;
  /** The legacy `functions` API's call, which upstreams still send. */
  function_call?: { name?: unknown; arguments?: unknown };
}

/** A chat completion, a text completion, or a chunk of either, as far as its text goes. */
export interface AnswerShape {
  usage?: Usage | null;
  choices?: Array<{
    index?: unknown;
    finish_reason?: unknown;
    text?: unknown;
    delta?: Generated;
    message?: Generated;
  }>;
}

/**
 * The generated text of an answer or a chunk, chat or text completion, tool and function calls
 * included: what a request is charged on when its upstream does not say what it used.
 */
export function generatedText(answer: AnswerShape, into: string[]): void {
  for (const choice of answer.choices ?? []) {
    if (typeof choice.text === "string") into.push(choice.text);
    const generated = choice.delta ?? choice.message;
    if (generated === undefined) continue;
    for (const value of [generated.content, generated.reasoning_content, generated.refusal]) {
      if (typeof value === "string") into.push(value);
    }
    for (const call of [...(generated.tool_calls ?? []).map((c) => c.function), generated.function_call]) {
      if (typeof call?.name === "string") into.push(call.name);
      if (typeof call?.arguments === "string") into.push(call.arguments);
    }
  }
}

/** An answer's JSON, parsed as far as `generatedText` reads it; undefined when it is not an object. */
export function parseAnswer(data: string): AnswerShape | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return parsed !== null && typeof parsed === "object" ? (parsed as AnswerShape) : undefined;
  } catch {
    return undefined;
  }
}
