/**
 * The local features' tokeniser, part of the artifact format (`tokenizer: "words-bigrams-v1"`):
 * lower-cased words (letters), numbers and single symbols, from the first `MAX_CHARS` characters;
 * each word and each pair of neighbours is hashed (FNV-1a, 32 bits, over UTF-16 code units) into
 * one of `buckets`. Changing any of this changes what trained routers see: it needs a new name.
 */
export const TOKENIZER = "words-bigrams-v1";
export const MAX_CHARS = 4_000;

const TOKEN = /\p{L}+|\p{N}+|[^\s\p{L}\p{N}]/gu;

export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Term counts by bucket: unigrams and bigrams of `text`. */
export function bucketCounts(text: string, buckets: number): Map<number, number> {
  const counts = new Map<number, number>();
  const add = (term: string) => {
    const b = fnv1a(term) % buckets;
    counts.set(b, (counts.get(b) ?? 0) + 1);
  };
  let previous: string | undefined;
  for (const match of text.slice(0, MAX_CHARS).toLowerCase().matchAll(TOKEN)) {
    const token = match[0];
    add(token);
    if (previous !== undefined) add(`${previous} ${token}`);
    previous = token;
  }
  return counts;
}
