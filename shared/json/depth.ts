const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The deepest nesting of objects and arrays in JSON text, stopping as soon as it passes `limit`
 * (so a hostile body costs one linear scan, never a recursion). Brackets inside strings do not
 * count. Malformed text is measured as far as it goes; JSON.parse reports what is wrong with it.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === BACKSLASH) i++;
      else if (ch === QUOTE) inString = false;
    } else if (ch === QUOTE) inString = true;
    else if (ch === OPEN_OBJECT || ch === OPEN_ARRAY) {
      depth++;
      if (depth > limit) return true;
    } else if (ch === CLOSE_OBJECT || ch === CLOSE_ARRAY) depth--;
  }
  return false;
}
