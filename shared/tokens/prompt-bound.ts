/**
 * What a provider adds to a prompt that carries tool definitions, beyond the definitions
 * themselves: Anthropic's tool-use system prompt is 346 tokens at most.
 */
export const TOOLS_FRAMING_TOKENS = 512;

/** Content parts whose tokens do not come from their bytes: an image by URL costs its pixels. */
const IMAGE_PART_TYPES: ReadonlySet<unknown> = new Set(["image_url", "input_image", "image"]);

/**
 * UTF-8 bytes of `text`. No tokenizer makes more tokens of a text than it has bytes: byte-level
 * BPE (OpenAI, Anthropic, Llama) and SentencePiece with byte fallback (Gemini, Mistral) spend at
 * most one token a byte, so this bounds any prompt whatever its language. An unpaired surrogate
 * counts as the 3 bytes of the U+FFFD it is sent as.
 */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Extensions of what a provider bills as an image; any other file by URL it bills as what it holds. */
const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  "png",
  "jpg",
  "jpeg",
  "gif",
  "webp",
  "heic",
  "heif",
  "bmp",
]);

const urlOfPart = (record: Record<string, unknown>): unknown => {
  const image = record.image_url;
  if (typeof image === "string") return image;
  if (image !== null && typeof image === "object") return (image as { url?: unknown }).url;
  const source = record.source;
  if (source !== null && typeof source === "object") return (source as { url?: unknown }).url;
  return record.file_url ?? record.url;
};

/** Media types a provider bills by what they hold (seconds, pages), which their bytes do not bound. */
const BILLED_BY_CONTENT = /^(?:video|audio)\/|^application\/pdf$/i;

/**
 * Whether `url` holds what its provider bills by content: inline data of such a media type (a
 * static hour of video compresses to kilobytes; PDF pages can share one content stream), or a link
 * to anything but an image, which the provider fetches itself.
 */
function billedByContent(url: string): boolean {
  if (url.startsWith("data:")) return BILLED_BY_CONTENT.test(/^data:([^;,]*)/i.exec(url)?.[1] ?? "");
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  return extension !== undefined && !IMAGE_EXTENSIONS.has(extension);
}

/**
 * Whether a content part is billed for more than its bytes can bound: a file by id or link, a
 * video, audio or PDF by link or inline, an Anthropic document that is not plain text.
 */
function billedBeyondBytes(record: Record<string, unknown>): boolean {
  const file = record.file;
  if (record.type === "file" && file !== null && typeof file === "object") {
    const { file_id, file_data } = file as { file_id?: unknown; file_data?: unknown };
    return typeof file_id === "string" || (typeof file_data === "string" && billedByContent(file_data));
  }
  if (record.type === "input_file") {
    const { file_id, file_url, file_data } = record;
    return (
      typeof file_id === "string" ||
      typeof file_url === "string" ||
      (typeof file_data === "string" && billedByContent(file_data))
    );
  }
  if (record.type === "document") {
    const type = (record.source as { type?: unknown } | null | undefined)?.type;
    return type !== "text" && type !== "content";
  }
  if (!IMAGE_PART_TYPES.has(record.type)) return false;
  const url = urlOfPart(record);
  return typeof url === "string" && billedByContent(url);
}

/**
 * Counts, anywhere in a request (the body's depth is bounded at parse time), its image parts
 * (chat's `image_url`, the Responses API's `input_image`) and its parts billed beyond their bytes.
 */
function countParts(value: unknown, counts: { images: number; fetched: number }): void {
  if (Array.isArray(value)) {
    for (const item of value) countParts(item, counts);
    return;
  }
  if (value === null || typeof value !== "object") return;
  const record = value as Record<string, unknown>;
  if (IMAGE_PART_TYPES.has(record.type)) counts.images += 1;
  if (billedBeyondBytes(record)) counts.fetched += 1;
  for (const field of Object.values(record)) if (typeof field === "object") countParts(field, counts);
}

/** A request's prompt at its most: `tokens` for its bytes and framing, plus each of `images`. */
export interface PromptBound {
  readonly tokens: number;
  /** Images it carries, each costing what its model bills an image at most (`imageTokensOf`). */
  readonly images: number;
  /**
   * Attachments billed beyond their bytes (a file by id or link, a video, audio or PDF by link or
   * inline): what they hold is unknown here, so a request with any is bounded by the model's context window.
   */
  readonly fetched: number;
}

/**
 * The most prompt tokens a request can be billed for, whatever the tokenizer: one a byte of the
 * request as sent (its messages, tools, schemas and framing all sit in it; its other fields only
 * add to the bound) and a provider's framing of tools, plus its images, which cost what their
 * pixels do on the model that serves them. What a budget and tpm reservation holds for the prompt:
 * the cheap 4-characters-a-token estimate is 8 to 12 times short for CJK or private-use text, and a
 * key must not be able to spend that difference. Attachments billed beyond their bytes (a file by id,
 * a video or PDF by link or inline) are counted in `fetched`.
 */
export function promptBound(request: object): PromptBound {
  const { tools, functions } = request as { tools?: unknown; functions?: unknown };
  const framing =
    (Array.isArray(tools) && tools.length > 0) || (Array.isArray(functions) && functions.length > 0)
      ? TOOLS_FRAMING_TOKENS
      : 0;
  const parts = { images: 0, fetched: 0 };
  countParts(request, parts);
  return { tokens: utf8Bytes(JSON.stringify(request)) + framing, ...parts };
}
