import type { z } from "zod";
import type { OutboundPolicy } from "../http/outbound-url-policy";
import { defaultTransport, type McpServer, type mcpServersConfigSchema } from "./server-spec";

/**
 * config.yaml's `mcp_servers`, resolved (`os.environ/` references already read) and checked
 * against the outbound policy for registered URLs; each refusal is added to `problems`.
 */
export function configMcpServers(
  servers: z.infer<typeof mcpServersConfigSchema> | undefined,
  outbound: OutboundPolicy,
  problems: string[],
): readonly McpServer[] {
  return Object.entries(servers ?? {}).flatMap(([name, s]) => {
    const refused = outbound.refuseUrl(s.url);
    if (refused !== undefined) {
      problems.push(`mcp_servers.${name}.url: ${refused}`);
      return [];
    }
    const server: McpServer = {
      name,
      url: s.url,
      transport: s.transport ?? defaultTransport(s.url),
      description: s.description,
      authType: s.auth_type ?? (s.auth_value === undefined ? "none" : "bearer_token"),
      credentials: { authValue: s.auth_value, staticHeaders: s.static_headers },
      allowAllKeys: s.allow_all_keys ?? false,
      allowedTools: s.allowed_tools,
      disallowedTools: s.disallowed_tools ?? [],
      source: "config",
    };
    return [server];
  });
}
