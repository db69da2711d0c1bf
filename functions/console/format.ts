export const money = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? "—"
    : `$${value.toFixed(value !== 0 && Math.abs(value) < 0.01 ? 6 : 2)}`;

export const when = (value: string | null | undefined): string =>
  value === null || value === undefined ? "—" : new Date(value).toLocaleString();

export const short = (hash: string | null | undefined): string =>
  hash === null || hash === undefined ? "—" : hash.length > 14 ? `${hash.slice(0, 10)}…` : hash;

/** `a, b` from a form field; an empty field means none. */
export const list = (text: string): string[] =>
  text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** A number from a form field; empty means unset (null). */
export const numberOrNull = (text: string): number | null => (text.trim() === "" ? null : Number(text));
