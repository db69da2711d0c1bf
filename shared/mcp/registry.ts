import { unrefTimer } from "../async/unref-timer";
import type { ConfigSource } from "../deps";
import type { Logger } from "../logging/logger";
import { isAuthType } from "../registered-upstreams/auth";
import type { CredentialSeal } from "../registered-upstreams/sealed-credentials";
import { followChannel } from "../store/kv/follow-channel";
import type { Kv } from "../store/kv/port";
import type { Sql } from "../store/sql/port";
import { listMcpServers, type McpServerRecord } from "../store/tables/mcp-servers";
import type { McpServer } from "./server-spec";

export const MCP_CHANGES_CHANNEL = "mcp:servers:changed";
/** A replica that missed an announcement (Redis down) still sees a change within this. */
const RELOAD_INTERVAL_MS = 30_000;

export interface McpRegistryOptions {
  readonly sql: Sql;
  readonly kv: Kv;
  readonly config: ConfigSource;
  readonly seal: CredentialSeal;
  readonly logger: Logger;
}

/**
 * The MCP servers this replica serves: config.yaml's, then those registered in PostgreSQL (a
 * config server's name cannot be registered). The stored ones are held in memory and reloaded
 * when any replica announces a change over Redis, and on a timer in case an announcement is lost.
 */
export class McpRegistry {
  readonly #options: McpRegistryOptions;
  #stored: readonly McpServer[] = [];

  constructor(options: McpRegistryOptions) {
    this.#options = options;
  }

  all(): readonly McpServer[] {
    const fromConfig = this.#options.config.current().mcpServers ?? [];
    const names = new Set(fromConfig.map((s) => s.name));
    return [...fromConfig, ...this.#stored.filter((s) => !names.has(s.name))];
  }

  get(name: string): McpServer | undefined {
    return this.all().find((s) => s.name === name);
  }

  isConfigured(name: string): boolean {
    return (this.#options.config.current().mcpServers ?? []).some((s) => s.name === name);
  }

  /** Reads the stored servers again; on failure keeps serving the ones it had. */
  async reload(): Promise<void> {
    try {
      const records = await listMcpServers(this.#options.sql);
      this.#stored = await Promise.all(records.map((r) => this.#fromRecord(r)));
    } catch (error) {
      this.#options.logger.warn("could not reload MCP servers; serving the ones loaded before", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** After a write: this replica reloads at once, every other one when the announcement reaches it. */
  async changed(): Promise<void> {
    await this.reload();
    await this.#options.kv.publish(MCP_CHANGES_CHANNEL, String(Date.now())).catch((error: unknown) => {
      this.#options.logger.warn("could not announce an MCP server change; replicas reload within 30 s", {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  /** Loads the stored servers and follows changes; resolves to a function that stops. */
  async listen(): Promise<() => Promise<void>> {
    await this.reload();
    const stop = await followChannel(
      this.#options.kv,
      MCP_CHANGES_CHANNEL,
      () => void this.reload(),
      this.#options.logger,
    );
    const timer = unrefTimer(setInterval(() => void this.reload(), RELOAD_INTERVAL_MS));
    return async () => {
      clearInterval(timer);
      await stop();
    };
  }

  async #fromRecord(r: McpServerRecord): Promise<McpServer> {
    return {
      name: r.name,
      url: r.url,
      transport: r.transport,
      description: r.description ?? undefined,
      authType: isAuthType(r.authType) ? r.authType : "none",
      credentials: await this.#options.seal.open(r.credentials, r.name),
      allowAllKeys: r.allowAllKeys,
      allowedTools: r.allowedTools ?? undefined,
      disallowedTools: r.disallowedTools,
      source: "database",
    };
  }
}
