/** How native providers read the pieces of an OpenAI request: images, files and tool arguments. */

const BASE64_DATA_URL = /^data:([^;,]+)[^,]*;base64,/;

/** `data:<type>;base64,<data>` split into its media type and payload; undefined for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = BASE64_DATA_URL.exec(url);
  if (match === null) return undefined;
  return { mediaType: match[1] as string, data: url.slice(match[0].length) };
}

/** The URL of an OpenAI `image_url` part (an object with `url`, or LiteLLM's bare string). */
export function imageUrlOf(part: Readonly<Record<string, unknown>>): string | undefined {
  const value = part.image_url;
  if (typeof value === "string") return value;
  const url = (value as { url?: unknown } | undefined)?.url;
  return typeof url === "string" ? url : undefined;
}

/** Tool arguments as the object providers require; models sometimes emit broken JSON, which becomes `{}`. */
export function parseToolArguments(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
