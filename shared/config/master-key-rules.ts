import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "./env-schema";
import { ConfigError, type Env } from "./load";
import type { RuntimeConfig } from "./runtime-config";

/** The master key config/config.yaml ships with: public, so it may only guard a loopback listener. */
export const DEV_MASTER_KEY = "sk-routeiq-dev-master-key";

/** `ROUTEIQ_ALLOW_NO_MASTER_KEY=true`: the only way to serve, or publish, a config with no master key. */
export const masterKeyOptOutShape = { ROUTEIQ_ALLOW_NO_MASTER_KEY: unsetIfBlank(z.stringbool()) };

export const allowsNoMasterKey = (env: Env): boolean =>
  parseEnvWith(z.object(masterKeyOptOutShape), env, "invalid environment").ROUTEIQ_ALLOW_NO_MASTER_KEY ??
  false;

/** `ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE=true`: let a config from S3 replace the master key in force. */
export const syncedKeyChangeShape = { ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE: unsetIfBlank(z.stringbool()) };

export const allowsSyncedMasterKeyChange = (env: Env): boolean =>
  parseEnvWith(z.object(syncedKeyChangeShape), env, "invalid environment")
    .ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE ?? false;

export type ReloadRefusalReason =
  | "invalid"
  | "master_key_removed"
  | "master_key_changed"
  | "unverified_keys"
  | "dev_master_key";

/** Where a reload comes from: the operator's own file, or an object synced from a bucket. */
export type ReloadOrigin = "file" | "synced";

/** How the running gateway is reachable, which decides what a reload may change. */
export interface ListenerExposure {
  /** True when the gateway listens on loopback only, where the public dev key exposes nothing. */
  readonly loopbackOnly: boolean;
}

export interface ReloadRefusal {
  readonly reason: Exclude<ReloadRefusalReason, "invalid">;
  /** `path: what is wrong`, in ConfigError's style; never a key's value. */
  readonly problem: string;
}

/** A config that is valid on its own but must not replace the one a gateway is serving. */
export class ReloadRefused extends ConfigError {
  readonly reason: ReloadRefusal["reason"];
  constructor(source: string, refusal: ReloadRefusal) {
    super(source, [refusal.problem]);
    this.name = "ReloadRefused";
    this.reason = refusal.reason;
  }
}

/**
 * Why `next` must not replace `current`: it has no master key where `current` has one. Publishers
 * apply this rule alone; the dev-key rule depends on each replica's listener.
 */
export function masterKeyRemoval(current: RuntimeConfig, next: RuntimeConfig): ReloadRefusal | undefined {
  if (current.masterKey === undefined || next.masterKey !== undefined) return undefined;
  return {
    reason: "master_key_removed",
    problem:
      "general_settings.master_key: missing (and LITELLM_MASTER_KEY is not set) while the config in force has one; a reload never removes authentication: add the master key back",
  };
}

/**
 * Why a synced `next` must not replace `current`: it names another master key. Whoever can write
 * the config bucket would otherwise hold the management API; the key in force stays, and rotating
 * it through the bucket is an operator's explicit choice (`allowChange`).
 */
export function masterKeyChange(
  current: RuntimeConfig,
  next: RuntimeConfig,
  allowChange: boolean,
): ReloadRefusal | undefined {
  if (allowChange || current.masterKey === undefined || next.masterKey === undefined) return undefined;
  if (current.masterKey === next.masterKey) return undefined;
  return {
    reason: "master_key_changed",
    problem:
      "general_settings.master_key: differs from the master key in force; a config synced from S3 never changes it (reference os.environ/LITELLM_MASTER_KEY, or set ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE=true to rotate it this way)",
  };
}

/**
 * Why a synced `next` must not replace `current`: it turns on LiteLLM's
 * `allow_requests_on_db_unavailable`, which lets any key through unchecked while the database is
 * down. That is for the operator's own config, the one a process starts with, never the bucket's.
 */
export function unverifiedKeysAllowed(
  current: RuntimeConfig,
  next: RuntimeConfig,
): ReloadRefusal | undefined {
  if (current.keyCache.allowUnverified || !next.keyCache.allowUnverified) return undefined;
  return {
    reason: "unverified_keys",
    problem:
      "general_settings.allow_requests_on_db_unavailable: a config synced from S3 never turns it on; set it in the config the gateway starts with",
  };
}

/** What a publisher refuses to publish: what every replica would refuse whatever its listener. */
export function publishRefusal(
  current: RuntimeConfig,
  next: RuntimeConfig,
  allowChange: boolean,
): ReloadRefusal | undefined {
  return (
    masterKeyRemoval(current, next) ??
    masterKeyChange(current, next, allowChange) ??
    unverifiedKeysAllowed(current, next)
  );
}

/**
 * Why a running gateway must not swap `current` for `next`, or undefined when it may. Every swap
 * (file watch, S3 sync without election, published revisions on every replica) goes through this.
 */
export function reloadRefusal(
  current: RuntimeConfig,
  next: RuntimeConfig,
  exposure: ListenerExposure & { readonly origin: ReloadOrigin; readonly allowSyncedKeyChange: boolean },
): ReloadRefusal | undefined {
  const removal = masterKeyRemoval(current, next);
  if (removal !== undefined) return removal;
  if (exposure.origin === "synced") {
    const weakened =
      masterKeyChange(current, next, exposure.allowSyncedKeyChange) ?? unverifiedKeysAllowed(current, next);
    if (weakened !== undefined) return weakened;
  }
  if (!exposure.loopbackOnly && next.masterKey === DEV_MASTER_KEY && current.masterKey !== DEV_MASTER_KEY) {
    return {
      reason: "dev_master_key",
      problem:
        "general_settings.master_key: the public development key of config/config.yaml, on a gateway that listens beyond loopback; set a master key of your own",
    };
  }
  return undefined;
}
