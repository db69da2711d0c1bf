import type { ConfigSource } from "../deps";
import type { ConfigWarnings } from "./config-warnings";
import type { LoadedConfig } from "./load";
import {
  type ListenerExposure,
  type ReloadOrigin,
  type ReloadRefusalReason,
  ReloadRefused,
  reloadRefusal,
} from "./master-key-rules";
import type { RuntimeConfig } from "./runtime-config";

/** Where the config in force came from, for status pages and logs. */
export interface ConfigOrigin {
  /** Increases with every swap in this process (a published revision number when one is known). */
  readonly revision: number;
  readonly source: string;
  readonly loadedAt: Date;
}

export interface ConfigHolderOptions {
  /** The first config's revision (default 1). */
  readonly revision?: number;
  /** How the gateway listens; the default, beyond loopback, is the strict one. */
  readonly exposure?: ListenerExposure;
  /** Called once per refused reload, with why (a metric). */
  readonly onRefused?: (reason: ReloadRefusalReason) => void;
  /** `ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE`: a synced config may replace the master key. */
  readonly allowSyncedKeyChange?: boolean;
  /** Where the warnings of each config swapped in go (keys it ignores): said once per process. */
  readonly warnings?: ConfigWarnings;
  /** After each swap, with the config it replaced (what takes effect only at a restart is told here). */
  readonly onSwap?: (previous: RuntimeConfig, next: RuntimeConfig, source: string) => void;
}

export interface ReloadOptions {
  /** The new config's revision (default: the current one plus one). */
  readonly revision?: number;
  /** Where it comes from (default `synced`, the stricter: only the operator's file is `file`). */
  readonly origin?: ReloadOrigin;
}

/**
 * The config in force, swapped whole. A request reads `current()` once and keeps that object, so
 * requests in flight finish on the revision they started with while new ones see the new one.
 */
export class ConfigHolder implements ConfigSource {
  #config: RuntimeConfig;
  #origin: ConfigOrigin;
  readonly #exposure: ListenerExposure;
  readonly #onRefused: ((reason: ReloadRefusalReason) => void) | undefined;
  readonly #allowSyncedKeyChange: boolean;
  readonly #warnings: ConfigWarnings | undefined;
  readonly #onSwap: ConfigHolderOptions["onSwap"];

  constructor(config: RuntimeConfig, source: string, options: ConfigHolderOptions = {}) {
    this.#config = config;
    this.#origin = { revision: options.revision ?? 1, source, loadedAt: new Date() };
    this.#exposure = options.exposure ?? { loopbackOnly: false };
    this.#onRefused = options.onRefused;
    this.#allowSyncedKeyChange = options.allowSyncedKeyChange ?? false;
    this.#warnings = options.warnings;
    this.#onSwap = options.onSwap;
  }

  current(): RuntimeConfig {
    return this.#config;
  }

  get origin(): ConfigOrigin {
    return this.#origin;
  }

  /**
   * The one way a running gateway changes its config: swaps in what `load` returns unless it is
   * invalid (`load` throws) or would weaken the gateway (see `reloadRefusal`). A refusal is counted
   * and thrown, a ConfigError naming the cause, and the config in force keeps serving.
   */
  reload(source: string, load: () => LoadedConfig, options: ReloadOptions = {}): RuntimeConfig {
    const revision = options.revision ?? this.#origin.revision + 1;
    let loaded: LoadedConfig;
    try {
      loaded = load();
    } catch (error) {
      this.#onRefused?.("invalid");
      throw error;
    }
    const next = loaded.config;
    const refusal = reloadRefusal(this.#config, next, {
      ...this.#exposure,
      origin: options.origin ?? "synced",
      allowSyncedKeyChange: this.#allowSyncedKeyChange,
    });
    if (refusal !== undefined) {
      this.#onRefused?.(refusal.reason);
      throw new ReloadRefused(source, refusal);
    }
    const previous = this.#config;
    this.#config = next;
    this.#origin = { revision, source, loadedAt: new Date() };
    this.#warnings?.(source, loaded.warnings);
    this.#onSwap?.(previous, next, source);
    return next;
  }
}
