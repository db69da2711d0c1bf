type Counter = (text: string) => number;

/**
 * Special tokens' text (`<|endoftext|>`) counted as the text it is, as an upstream reads a prompt:
 * the tokenizer would otherwise throw, and a request whose count fails would be charged nothing.
 */
const AS_TEXT = Object.freeze({ disallowedSpecial: new Set<string>() });

/**
 * Text beyond this is not tokenised but extrapolated from what was: counting is CPU spent on the
 * request path of a replica (about 50 µs a KiB), and a 10 MiB prompt must not stall it.
 */
const EXACT_CHARS = 256 * 1024;
/** Counted in slices, yielding in between, so other requests keep moving. */
const SLICE_CHARS = 16 * 1024;

let counter: Promise<Counter> | undefined;

/**
 * The o200k_base tokenizer (GPT-4o and later; the closest public one for other models), loaded on
 * first use: it takes about 20 MB and 150 ms, and most replicas only need it when a stream ends
 * before the upstream said what it used.
 */
function loadCounter(): Promise<Counter> {
  counter ??= import("gpt-tokenizer/encoding/o200k_base").then(
    (m) => (text: string) => m.countTokens(text, AS_TEXT),
  );
  return counter;
}

const yieldToOthers = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Tokens in `text` as the upstream would count them (see EXACT_CHARS for very long text). */
export async function countTokens(text: string): Promise<number> {
  if (text === "") return 0;
  const count = await loadCounter();
  const exact = text.length <= EXACT_CHARS ? text : text.slice(0, EXACT_CHARS);
  let tokens = 0;
  for (let at = 0; at < exact.length; at += SLICE_CHARS) {
    if (at > 0) await yieldToOthers();
    tokens += count(exact.slice(at, at + SLICE_CHARS));
  }
  return exact.length === text.length ? tokens : Math.ceil((tokens * text.length) / exact.length);
}
