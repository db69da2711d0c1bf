type Counter = (text: string) => number;

/**
 * Special tokens' text (`<|endoftext|>`) counted as the text it is, as an upstream reads a prompt:
 * the tokenizer would otherwise throw, and a request whose count fails would be charged nothing.
 */
const AS_TEXT = Object.freeze({ disallowedSpecial: new Set<string>() });

/**
 * The longest text the tokenizer is given at once. Its byte-pair merge is quadratic in the length
 * of a run without spaces (16 K CJK characters held a replica for 4 s), and a client chooses its
 * prompt: longer runs are cut, which costs at most a token a cut (a few in a thousand for CJK).
 */
const PIECE_CHARS = 256;

/**
 * Text beyond this is not tokenised whole but estimated from blocks picked at random, so a client
 * cannot choose what is counted (a cheap English prefix before dense text): counting is CPU spent
 * on the request path of a replica (up to 4 µs a character for CJK), and a 10 MiB prompt must not
 * hold it for long.
 */
const EXACT_CHARS = 256 * 1024;
const SAMPLE_BLOCK_CHARS = 4 * 1024;
/** Counted in slices of about this much, yielding in between, so other requests keep moving. */
const SLICE_CHARS = 16 * 1024;
/**
 * The tokenizer's cache of merged runs (100,000 by default): each holds a run and its tokens, and
 * runs of random dense text never repeat, so a flood of them would only grow the heap.
 */
const MERGE_CACHE_ENTRIES = 4_096;

let counter: Promise<Counter> | undefined;

/**
 * The o200k_base tokenizer (GPT-4o and later; the closest public one for other models), loaded on
 * first use: it takes about 20 MB and 150 ms, and most replicas only need it when a stream ends
 * before the upstream said what it used.
 */
function loadCounter(): Promise<Counter> {
  counter ??= import("gpt-tokenizer/encoding/o200k_base").then((m) => {
    m.setMergeCacheSize(MERGE_CACHE_ENTRIES);
    return (text: string) => m.countTokens(text, AS_TEXT);
  });
  return counter;
}

const yieldToOthers = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const isSpace = (unit: number): boolean => unit === 0x20 || (unit >= 0x09 && unit <= 0x0d);
const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

/**
 * Where the piece starting at `start` ends: before the last space that begins a word within
 * PIECE_CHARS, where the tokenizer's own pieces begin, so ordinary text counts exactly as whole;
 * in a run without one, at PIECE_CHARS (never between the halves of a surrogate pair).
 */
function pieceEnd(text: string, start: number, end: number): number {
  if (end - start <= PIECE_CHARS) return end;
  const limit = start + PIECE_CHARS;
  for (let i = limit - 1; i > start; i--) {
    if (isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i + 1))) return i;
  }
  return isHighSurrogate(text.charCodeAt(limit - 1)) ? limit - 1 : limit;
}

/** Tokens in `text` from `start` to `end`, a piece at a time, yielding every SLICE_CHARS. */
async function countRange(count: Counter, text: string, start: number, end: number): Promise<number> {
  let tokens = 0;
  let sinceYield = 0;
  for (let at = start; at < end; ) {
    const next = pieceEnd(text, at, end);
    tokens += count(text.slice(at, next));
    sinceYield += next - at;
    at = next;
    if (sinceYield >= SLICE_CHARS && at < end) {
      sinceYield = 0;
      await yieldToOthers();
    }
  }
  return tokens;
}

/** Distinct block indexes in [0, blocks), `wanted` of them, picked at random. */
function randomBlocks(blocks: number, wanted: number): number[] {
  const indexes = Array.from({ length: blocks }, (_, i) => i);
  const random = new Uint32Array(wanted);
  crypto.getRandomValues(random);
  for (let i = 0; i < wanted; i++) {
    const j = i + ((random[i] as number) % (blocks - i));
    [indexes[i], indexes[j]] = [indexes[j] as number, indexes[i] as number];
  }
  return indexes.slice(0, wanted);
}

/** Tokens in `text` as the upstream would count them (see EXACT_CHARS for very long text). */
export async function countTokens(text: string): Promise<number> {
  if (text === "") return 0;
  const count = await loadCounter();
  if (text.length <= EXACT_CHARS) return countRange(count, text, 0, text.length);
  const blocks = Math.ceil(text.length / SAMPLE_BLOCK_CHARS);
  let tokens = 0;
  let chars = 0;
  for (const block of randomBlocks(blocks, EXACT_CHARS / SAMPLE_BLOCK_CHARS)) {
    const start = block * SAMPLE_BLOCK_CHARS;
    const end = Math.min(text.length, start + SAMPLE_BLOCK_CHARS);
    tokens += await countRange(count, text, start, end);
    chars += end - start;
    await yieldToOthers();
  }
  return Math.ceil((tokens * text.length) / chars);
}
