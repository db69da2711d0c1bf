import { a2aGateway } from "../../shared/a2a/module";
import type { ConfigSource } from "../../shared/deps";
import type { OutboundPolicy } from "../../shared/http/outbound-url-policy";
import type { ReadinessCheck } from "../../shared/http/readiness";
import type { Logger } from "../../shared/logging/logger";
import { type McpGateway, mcpGateway } from "../../shared/mcp/module";
import type { GatewayModule } from "../../shared/module";
import { boundedFetch } from "../../shared/registered-upstreams/bounded-fetch";
import type { Kv } from "../../shared/store/kv/port";
import type { Sql } from "../../shared/store/sql/port";
import { guardedFetch } from "./guarded-fetch";

/** MCP_GATEWAY_ENABLED, A2A_GATEWAY_ENABLED and what they need from the environment. */
export interface AgentGatewaySettings {
  readonly mcp: boolean;
  readonly a2a: boolean;
  /** The policy for registered URLs (registeredUrlPolicy): checked at registration and at connect. */
  readonly outbound: OutboundPolicy;
  /** LITELLM_SALT_KEY: what upstream credentials are sealed under; unset, the master key. */
  readonly saltKey: string | undefined;
  /** PROXY_BASE_URL: the gateway's public address for agent cards; unset, the request's origin. */
  readonly publicUrl?: string | undefined;
}

export interface AgentGateways {
  readonly modules: readonly GatewayModule[];
  readonly readiness: readonly ReadinessCheck[];
  listen(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const BOUNDS = { headersTimeoutMs: 30_000, maxResponseBytes: 16 * 1024 * 1024 };

/** The MCP and A2A gateways a Node process serves, each only when enabled. */
export function agentGateways(
  settings: AgentGatewaySettings,
  shared: { readonly config: ConfigSource; readonly sql: Sql; readonly kv: Kv; readonly logger: Logger },
): AgentGateways {
  const http = guardedFetch({ outbound: settings.outbound });
  const fetch = boundedFetch(http.fetch, BOUNDS);
  const credentialSecret = () => settings.saltKey ?? shared.config.current().masterKey;
  const gateways: McpGateway[] = [];
  if (settings.mcp) {
    gateways.push(mcpGateway({ ...shared, fetch, outbound: settings.outbound, credentialSecret }));
  }
  const a2a = settings.a2a
    ? [
        a2aGateway({
          ...shared,
          fetch,
          outbound: settings.outbound,
          credentialSecret,
          publicUrl: settings.publicUrl,
        }),
      ]
    : [];
  return {
    modules: [...gateways, ...a2a].map((g) => g.module),
    readiness: gateways.map((g) => g.readiness),
    async listen() {
      const stops = await Promise.all([...gateways, ...a2a].map((g) => g.listen()));
      return async () => {
        await Promise.all(stops.map((stop) => stop()));
      };
    },
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
      await http.close();
    },
  };
}
