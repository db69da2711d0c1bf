/**
 * Announces that keys changed (updated, blocked, deleted, or their team or user changed), so
 * every replica drops its cached copies now instead of serving stale limits until a TTL runs out.
 */
export interface KeyEvents {
  changed(keyHashes: readonly string[]): Promise<void>;
}
