import type { ConfigSource } from "../deps";
import type { RuntimeConfig } from "./runtime-config";

/** Where the config in force came from, for status pages and logs. */
export interface ConfigOrigin {
  /** Increases with every swap in this process (a published revision number when one is known). */
  readonly revision: number;
  readonly source: string;
  readonly loadedAt: Date;
}

/**
 * The config in force, swapped whole. A request reads `current()` once and keeps that object, so
 * requests in flight finish on the revision they started with while new ones see the new one.
 */
export class ConfigHolder implements ConfigSource {
  #config: RuntimeConfig;
  #origin: ConfigOrigin;

  constructor(config: RuntimeConfig, source: string, revision = 1) {
    this.#config = config;
    this.#origin = { revision, source, loadedAt: new Date() };
  }

  current(): RuntimeConfig {
    return this.#config;
  }

  get origin(): ConfigOrigin {
    return this.#origin;
  }

  swap(config: RuntimeConfig, source: string, revision = this.#origin.revision + 1): void {
    this.#config = config;
    this.#origin = { revision, source, loadedAt: new Date() };
  }
}
