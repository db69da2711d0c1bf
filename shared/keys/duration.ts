import { z } from "zod";

/**
 * LiteLLM's durations (`budget_duration`, key `duration`): a positive whole number and a unit,
 * `s` `m` `h` `d` `w` or `mo`. Months are calendar months, so a monthly budget resets on the same
 * day of each month rather than drifting by 30-day steps.
 */
export type DurationUnit = "s" | "m" | "h" | "d" | "w" | "mo";

export interface Duration {
  readonly amount: number;
  readonly unit: DurationUnit;
}

// Six digits keep every result a valid Date (a million weeks is about 19,000 years).
const DURATION = /^([1-9][0-9]{0,5})(s|m|h|d|w|mo)$/;

const UNIT_MS: Readonly<Record<Exclude<DurationUnit, "mo">, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

export function parseDuration(text: string): Duration | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  return { amount: Number(match[1]), unit: match[2] as DurationUnit };
}

/** Validates a duration string at the boundary and keeps it as written (it is stored as text). */
export const durationSchema = z.string().refine((text) => parseDuration(text) !== undefined, {
  message: 'expected a duration such as "30s", "30m", "1h", "7d", "2w" or "1mo"',
});

function addMonths(from: Date, months: number): Date {
  const day = from.getUTCDate();
  const result = new Date(from.getTime());
  result.setUTCDate(1);
  result.setUTCMonth(result.getUTCMonth() + months);
  // Jan 31 + 1mo is the last day of February, not March 3.
  const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
  result.setUTCDate(Math.min(day, lastDay));
  return result;
}

function toDuration(duration: string | Duration): Duration {
  if (typeof duration !== "string") return duration;
  const parsed = parseDuration(duration);
  if (parsed === undefined) throw new RangeError(`invalid duration ${JSON.stringify(duration)}`);
  return parsed;
}

/** When a window of `duration` starting at `from` ends: the next budget reset, or a key's expiry. */
export function nextReset(from: Date, duration: string | Duration): Date {
  const { amount, unit } = toDuration(duration);
  if (unit === "mo") return addMonths(from, amount);
  return new Date(from.getTime() + amount * UNIT_MS[unit]);
}

/** The duration in milliseconds; for months it depends on `from`, the start of the window. */
export function durationMs(duration: string | Duration, from: Date = new Date()): number {
  return nextReset(from, duration).getTime() - from.getTime();
}
