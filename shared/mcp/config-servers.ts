import type { z } from "zod";
import type { OutboundPolicy } from "../http/outbound-url-policy";
import { credentialsOf, type UpstreamCredentials } from "../registered-upstreams/auth";
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
    let credentials: UpstreamCredentials;
    try {
      credentials = credentialsOf(s);
    } catch (error) {
      problems.push(`mcp_servers.${name}.${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
    const tokenRefused =
      credentials.oauth2 === undefined ? undefined : outbound.refuseUrl(credentials.oauth2.tokenUrl);
    if (tokenRefused !== undefined) {
      problems.push(`mcp_servers.${name}.token_url: ${tokenRefused}`);
      return [];
    }
    const server: McpServer = {
      name,
      url: s.url,
      transport: s.transport ?? defaultTransport(s.url),
      description: s.description,
      authType: s.auth_type ?? (s.auth_value === undefined ? "none" : "bearer_token"),
      credentials,
      allowAllKeys: s.allow_all_keys ?? false,
      allowedTools: s.allowed_tools,
      disallowedTools: s.disallowed_tools ?? [],
      source: "config",
    };
    return [server];
  });
}
