import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` for `command`; unknown flags and missing values are errors naming the flag. */
export function flags<O extends Options>(command: string, options: O, argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new Error(`${command}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function required(command: string, values: Record<string, unknown>, ...names: string[]): void {
  const missing = names.filter((n) => values[n] === undefined);
  if (missing.length > 0) throw new Error(`${command}: missing ${missing.map((n) => `--${n}`).join(", ")}`);
}

export function numberFlag(
  command: string,
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${command}: --${name} expects a number, got "${value}"`);
  return n;
}
