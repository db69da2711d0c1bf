import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../config/env-schema";

const LEASE = "LLMROUTER_CONFIG_SYNC_LEASE_SECONDS";
const RENEW = "LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS";

/** The config sync leader election's environment (docs: high-availability.md). */
export const electionEnvSchema = z
  .object({
    DATABASE_URL: unsetIfBlank(z.string()),
    LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: unsetIfBlank(
      z.stringbool({ truthy: ["true", "1"], falsy: ["false", "0"] }),
    ),
    [LEASE]: unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? 30),
    [RENEW]: unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? 10),
    LLMROUTER_CONFIG_SYNC_LOCK_NAME: unsetIfBlank(z.string()).transform((v) => v ?? "config_sync"),
  })
  .refine((env) => env[RENEW] < env[LEASE], {
    message: `must be less than ${LEASE}, or a leader loses its lease between two renewals`,
    path: [RENEW],
  });

export interface ElectionSettings {
  readonly enabled: boolean;
  readonly leaseSeconds: number;
  readonly renewIntervalSeconds: number;
  readonly lockName: string;
}

/** Reads the election settings; a bad value throws an error naming the variable(s) at fault. */
export function parseElectionSettings(env: Readonly<Record<string, string | undefined>>): ElectionSettings {
  const parsed = parseEnvWith(electionEnvSchema, env, "invalid leader election environment");
  return Object.freeze({
    // Election only makes sense with a shared database: on by default exactly when there is one.
    enabled: parsed.LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED ?? parsed.DATABASE_URL !== undefined,
    leaseSeconds: parsed[LEASE],
    renewIntervalSeconds: parsed[RENEW],
    lockName: parsed.LLMROUTER_CONFIG_SYNC_LOCK_NAME,
  });
}

const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * This replica's lease holder id, e.g. `gateway-1-abc123`: the host name says which replica, the
 * suffix tells a restarted process (same host name) from its previous life.
 */
export function holderId(hostname: string, random: () => number = Math.random): string {
  let suffix = "";
  for (let i = 0; i < 6; i++) {
    const index = Math.min(Math.floor(random() * SUFFIX_ALPHABET.length), SUFFIX_ALPHABET.length - 1);
    suffix += SUFFIX_ALPHABET[index];
  }
  return `${hostname}-${suffix}`;
}
