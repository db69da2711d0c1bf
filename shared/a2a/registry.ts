import { unrefTimer } from "../async/unref-timer";
import type { Logger } from "../logging/logger";
import { type AuthType, isAuthType, type UpstreamCredentials } from "../registered-upstreams/auth";
import type { CredentialSeal } from "../registered-upstreams/sealed-credentials";
import { followChannel } from "../store/kv/follow-channel";
import type { Kv } from "../store/kv/port";
import type { Sql } from "../store/sql/port";
import { listA2aAgents } from "../store/tables/a2a-agents";

export const A2A_CHANGES_CHANNEL = "a2a:agents:changed";
const RELOAD_INTERVAL_MS = 30_000;

/** An upstream agent the gateway may call, credentials opened. */
export interface A2aAgent {
  readonly name: string;
  /** Its JSON-RPC endpoint; its card is read from the same origin. */
  readonly url: string;
  readonly description: string | undefined;
  readonly authType: AuthType;
  readonly credentials: UpstreamCredentials;
  readonly allowAllKeys: boolean;
}

/**
 * The agents registered in PostgreSQL, held in memory and reloaded when any replica announces a
 * change over Redis (and on a timer, in case an announcement is lost).
 */
export class A2aRegistry {
  #agents: readonly A2aAgent[] = [];

  constructor(
    private readonly options: {
      readonly sql: Sql;
      readonly kv: Kv;
      readonly seal: CredentialSeal;
      readonly logger: Logger;
    },
  ) {}

  all(): readonly A2aAgent[] {
    return this.#agents;
  }

  get(name: string): A2aAgent | undefined {
    return this.#agents.find((a) => a.name === name);
  }

  async reload(): Promise<void> {
    try {
      const records = await listA2aAgents(this.options.sql);
      this.#agents = await Promise.all(
        records.map(async (r) => ({
          name: r.name,
          url: r.url,
          description: r.description ?? undefined,
          authType: isAuthType(r.authType) ? r.authType : "none",
          credentials: await this.options.seal.open(r.credentials, r.name),
          allowAllKeys: r.allowAllKeys,
        })),
      );
    } catch (error) {
      this.options.logger.warn("could not reload A2A agents; serving the ones loaded before", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async changed(): Promise<void> {
    await this.reload();
    await this.options.kv.publish(A2A_CHANGES_CHANNEL, String(Date.now())).catch((error: unknown) => {
      this.options.logger.warn("could not announce an A2A agent change; replicas reload within 30 s", {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  async listen(): Promise<() => Promise<void>> {
    await this.reload();
    const stop = await followChannel(
      this.options.kv,
      A2A_CHANGES_CHANNEL,
      () => void this.reload(),
      this.options.logger,
    );
    const timer = unrefTimer(setInterval(() => void this.reload(), RELOAD_INTERVAL_MS));
    return async () => {
      clearInterval(timer);
      await stop();
    };
  }
}
