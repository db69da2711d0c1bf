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

/** Image parts anywhere in a request (chat's `image_url`, the Responses API's `input_image`). */
function imageParts(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + imageParts(item), 0);
  if (value === null || typeof value !== "object") return 0;
  const record = value as Record<string, unknown>;
  let images = IMAGE_PART_TYPES.has(record.type) ? 1 : 0;
  for (const field of Object.values(record)) if (typeof field === "object") images += imageParts(field);
  return images;
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

/** Whether a content part has its upstream fetch what it bills for: a file by id, a video or PDF by URL. */
function fetchesItself(record: Record<string, unknown>): boolean {
  const file = record.file;
  if (record.type === "file" && file !== null && typeof file === "object") {
    const { file_id, file_data } = file as { file_id?: unknown; file_data?: unknown };
    return typeof file_id === "string" || (typeof file_data === "string" && !file_data.startsWith("data:"));
  }
  if (record.type === "input_file")
    return typeof record.file_id === "string" || typeof record.file_url === "string";
  if (record.type === "document") {
    const type = (record.source as { type?: unknown } | null | undefined)?.type;
    return type === "url" || type === "file";
  }
  if (!IMAGE_PART_TYPES.has(record.type)) return false;
  const url = urlOfPart(record);
  if (typeof url !== "string" || url.startsWith("data:")) return false;
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url)?.[1]?.toLowerCase();
  return extension !== undefined && !IMAGE_EXTENSIONS.has(extension);
}

/** Parts anywhere in a request whose upstream fetches the content it bills for. */
function fetchedParts(value: unknown, depth = 0): number {
  if (depth > 64) return 0;
  if (Array.isArray(value))
    return value.reduce<number>((sum, item) => sum + fetchedParts(item, depth + 1), 0);
  if (value === null || typeof value !== "object") return 0;
  const record = value as Record<string, unknown>;
  let parts = fetchesItself(record) ? 1 : 0;
  for (const field of Object.values(record)) if (typeof field === "object") parts += fetchedParts(field);
  return parts;
}

/** A request's prompt at its most: `tokens` for its bytes and framing, plus each of `images`. */
export interface PromptBound {
  readonly tokens: number;
  /** Images it carries, each costing what its model bills an image at most (`imageTokensOf`). */
  readonly images: number;
  /**
   * Attachments its upstream fetches and bills for itself (a file by id, a video, audio or PDF by
   * URL): what they hold is unknown here, so a request with any is bounded by the model's context window.
   */
  readonly fetched: number;
}

/**
 * The most prompt tokens a request can be billed for, whatever the tokenizer: one a byte of the
 * request as sent (its messages, tools, schemas and framing all sit in it; its other fields only
 * add to the bound) and a provider's framing of tools, plus its images, which cost what their
 * pixels do on the model that serves them. What a budget and tpm reservation holds for the prompt:
 * the cheap 4-characters-a-token estimate is 8 to 12 times short for CJK or private-use text, and a
 * key must not be able to spend that difference. Attachments a provider fetches itself (a file by
 * id, a video or PDF by URL) are counted in `fetched`.
 */
export function promptBound(request: object): PromptBound {
  const { tools, functions } = request as { tools?: unknown; functions?: unknown };
  const framing =
    (Array.isArray(tools) && tools.length > 0) || (Array.isArray(functions) && functions.length > 0)
      ? TOOLS_FRAMING_TOKENS
      : 0;
  return {
    tokens: utf8Bytes(JSON.stringify(request)) + framing,
    images: imageParts(request),
    fetched: fetchedParts(request),
  };
}
