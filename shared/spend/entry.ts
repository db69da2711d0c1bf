import type { SpendLogRecord } from "../store/tables/spend-logs";

/** What the request path hands the spend log writer once a request has finished. */
export interface SpendLogEntry {
  readonly requestId: string;
  readonly keyHash?: string;
  readonly teamId?: string;
  readonly userId?: string;
  readonly modelGroup: string;
  readonly deployment?: string;
  readonly provider?: string;
  readonly status: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly spend: number;
  readonly cacheHit: boolean;
  readonly startedAt: Date;
  readonly endedAt: Date;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const INT4_MAX = 2_147_483_647;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Postgres refuses NUL in text and lone surrogates in jsonb; either would fail the whole batch.
const text = (value: string): string => value.replaceAll("\0", "").replace(LONE_SURROGATE, "\ufffd");
const optionalText = (value: string | undefined): string | null => (value === undefined ? null : text(value));
const int4 = (value: number): number =>
  Number.isFinite(value) ? Math.min(INT4_MAX, Math.max(0, Math.round(value))) : 0;
const finite = (value: number): number => (Number.isFinite(value) ? value : 0);
const validDate = (value: Date, fallback: Date): Date =>
  Number.isNaN(value.getTime()) ? fallback : new Date(value.getTime());

// Through JSON and back: what the jsonb column will hold, and the place to clean nested strings.
function storable(metadata: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (metadata === undefined) return {};
  try {
    const json = JSON.stringify(metadata, (_key, value: unknown) =>
      typeof value === "string" ? text(value) : value,
    );
    const copy: unknown = JSON.parse(json);
    return typeof copy === "object" && copy !== null && !Array.isArray(copy)
      ? (copy as Record<string, unknown>)
      : {};
  } catch {
    // Cycles and BigInts cannot be stored; the row itself still matters more than its extras.
    return { metadata_error: "not serialisable as JSON" };
  }
}

/**
 * The row as it will be written, cleaned so that no value the caller passes can make Postgres
 * reject it (a rejected row would hold up its whole batch): text without NUL or lone surrogates,
 * counts as non-negative int4, spend finite (NaN would poison the key's running total).
 */
export function toSpendLogRecord(entry: SpendLogEntry): SpendLogRecord {
  const endedAt = validDate(entry.endedAt, new Date());
  return {
    requestId: text(entry.requestId),
    keyHash: optionalText(entry.keyHash),
    teamId: optionalText(entry.teamId),
    userId: optionalText(entry.userId),
    modelGroup: text(entry.modelGroup),
    deployment: optionalText(entry.deployment),
    provider: optionalText(entry.provider),
    status: int4(entry.status),
    promptTokens: int4(entry.promptTokens),
    completionTokens: int4(entry.completionTokens),
    totalTokens: int4(entry.totalTokens),
    spend: finite(entry.spend),
    cacheHit: entry.cacheHit === true,
    startedAt: validDate(entry.startedAt, endedAt),
    endedAt,
    metadata: storable(entry.metadata),
  };
}
