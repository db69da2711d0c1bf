import { type Context, Hono } from "hono";
import { z } from "zod";
import { badRequest, GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import type { OutboundPolicy } from "../http/outbound-url-policy";
import { credentialsOf, hasCredentials, type UpstreamCredentials } from "../registered-upstreams/auth";
import type { CredentialSeal } from "../registered-upstreams/sealed-credentials";
import { notFound } from "../routes/management/errors";
import { readBody } from "../routes/management/input";
import type { Sql } from "../store/sql/port";
import { deleteMcpServer, insertMcpServer, updateMcpServer } from "../store/tables/mcp-servers";
import type { McpRegistry } from "./registry";
import { defaultTransport, type McpServer, serverFields, serverNameSchema } from "./server-spec";
import type { McpUpstreams } from "./upstream-clients";

export const MCP_ADMIN_PATHS = ["/v1/mcp/server", "/v1/mcp/server/*"] as const;

const stdio = {
  command: z
    .never({ error: "stdio MCP servers are not served: register a Streamable HTTP or SSE URL" })
    .optional(),
  args: z.never({ error: "stdio MCP servers are not served" }).optional(),
};
const createSchema = z.object({ server_name: serverNameSchema, ...serverFields, ...stdio });
const updateSchema = z.object({
  server_name: serverNameSchema,
  ...z.object(serverFields).partial().shape,
  ...stdio,
});

export interface McpAdminOptions {
  readonly sql: Sql;
  readonly registry: McpRegistry;
  readonly upstreams: McpUpstreams;
  readonly seal: CredentialSeal;
  /** Registered URLs: private ranges refused unless allowed (outbound-url-policy.ts). */
  readonly outbound: OutboundPolicy;
}

/** A server as the admin API shows it: never its credentials, only whether it has some. */
const serverView = (s: McpServer) => ({
  server_name: s.name,
  url: s.url,
  transport: s.transport,
  description: s.description ?? null,
  auth_type: s.authType,
  has_credentials: hasCredentials(s.credentials),
  allow_all_keys: s.allowAllKeys,
  allowed_tools: s.allowedTools ?? null,
  disallowed_tools: s.disallowedTools,
  source: s.source,
});

function checkUrl(outbound: OutboundPolicy, url: string, field = "url"): void {
  const refused = outbound.refuseUrl(url);
  if (refused !== undefined) throw badRequest(`${field}: ${refused}`, field, "url_refused");
}

/** The body's credentials, checked, with an OAuth2 token endpoint held to the outbound policy. */
function bodyCredentials(
  outbound: OutboundPolicy,
  body: Parameters<typeof credentialsOf>[0],
): UpstreamCredentials {
  let credentials: UpstreamCredentials;
  try {
    credentials = credentialsOf(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw badRequest(message, message.split(":")[0], "invalid_credentials");
  }
  if (credentials.oauth2 !== undefined) checkUrl(outbound, credentials.oauth2.tokenUrl, "token_url");
  return credentials;
}

/**
 * Whether pointing `server` at `url` would send its stored credentials somewhere new: they were
 * given for one origin, and whoever may change the URL must not be able to read them back that way.
 */
function movesCredentials(server: McpServer, url: string): boolean {
  return hasCredentials(server.credentials) && new URL(url).origin !== new URL(server.url).origin;
}

const fromConfig = (name: string) =>
  new GatewayError({
    status: 409,
    type: "invalid_request_error",
    code: "mcp_server_in_config",
    message: `MCP server ${name} comes from config.yaml: change it there`,
    param: "server_name",
  });

/**
 * LiteLLM's MCP server management (`/v1/mcp/server`): create, update, delete, list and health,
 * master key only (the app mounts the guard). Every write is announced to the other replicas.
 */
export function mcpAdminRoutes(options: McpAdminOptions): Hono<GatewayEnv> {
  const { sql, registry, seal, outbound } = options;
  const app = new Hono<GatewayEnv>();

  app.post("/v1/mcp/server", async (c) => {
    const body = await readBody(c, createSchema);
    if (registry.isConfigured(body.server_name)) throw fromConfig(body.server_name);
    checkUrl(outbound, body.url);
    const credentials = bodyCredentials(outbound, body);
    const created = await insertMcpServer(sql, {
      name: body.server_name,
      url: body.url,
      transport: body.transport ?? defaultTransport(body.url),
      description: body.description ?? null,
      authType: body.auth_type ?? (body.auth_value === undefined ? "none" : "bearer_token"),
      credentials: await seal.seal(credentials, body.server_name),
      allowAllKeys: body.allow_all_keys ?? false,
      allowedTools: body.allowed_tools ?? null,
      disallowedTools: body.disallowed_tools ?? [],
    });
    if (created === undefined)
      throw badRequest(`server_name: ${body.server_name} already exists`, "server_name", "duplicate");
    await registry.changed();
    return c.json(serverView(registry.get(created.name) as McpServer));
  });

  app.put("/v1/mcp/server", async (c) => {
    const body = await readBody(c, updateSchema);
    if (registry.isConfigured(body.server_name)) throw fromConfig(body.server_name);
    if (body.url !== undefined) checkUrl(outbound, body.url);
    const secrets = [
      body.auth_value,
      body.static_headers,
      body.token_url,
      body.client_id,
      body.client_secret,
      body.scopes,
    ].some((field) => field !== undefined);
    // Credentials are replaced whole: an OAuth2 client is given again in full, under its auth_type.
    const authType = body.auth_type ?? (secrets ? registry.get(body.server_name)?.authType : undefined);
    const credentials = secrets ? bodyCredentials(outbound, { ...body, auth_type: authType }) : undefined;
    // Fresh from the database, not this replica's copy, which may lag a write made through another.
    if (body.url !== undefined && !secrets) await registry.reload();
    const current = registry.get(body.server_name);
    if (body.url !== undefined && current !== undefined && !secrets && movesCredentials(current, body.url)) {
      throw badRequest(
        "url: the new url is on another origin: give auth_value or static_headers again (stored credentials are never sent to a new origin)",
        "url",
        "credentials_required",
      );
    }
    const updated = await updateMcpServer(sql, body.server_name, {
      url: body.url,
      transport: body.transport ?? (body.url === undefined ? undefined : defaultTransport(body.url)),
      description: body.description,
      authType: body.auth_type,
      credentials: credentials === undefined ? undefined : await seal.seal(credentials, body.server_name),
      allowAllKeys: body.allow_all_keys,
      allowedTools: body.allowed_tools,
      disallowedTools: body.disallowed_tools,
    });
    if (updated === undefined)
      throw notFound(`no MCP server named ${body.server_name}`, "server_name", "mcp_server_not_found");
    await registry.changed();
    return c.json(serverView(registry.get(updated.name) as McpServer));
  });

  app.delete("/v1/mcp/server/:name", async (c) => {
    const name = c.req.param("name");
    if (registry.isConfigured(name)) throw fromConfig(name);
    if (!(await deleteMcpServer(sql, name)))
      throw notFound(`no MCP server named ${name}`, "server_name", "mcp_server_not_found");
    await registry.changed();
    return c.json({ deleted: name });
  });

  app.get("/v1/mcp/server", (c) => c.json(registry.all().map(serverView)));

  app.get("/v1/mcp/server/health", async (c: Context<GatewayEnv>) => {
    const only = c.req.query("server_name");
    const servers = registry.all().filter((s) => only === undefined || s.name === only);
    if (only !== undefined && servers.length === 0) {
      throw notFound(`no MCP server named ${only}`, "server_name", "mcp_server_not_found");
    }
    const results = await Promise.all(
      servers.map(async (s) => {
        try {
          await options.upstreams.probe(s);
          return { server_name: s.name, status: "healthy" as const };
        } catch (error) {
          options.upstreams.markFailing(s.name, error);
          return {
            server_name: s.name,
            status: "unhealthy" as const,
            error: error instanceof Error ? error.message : String(error),
          };
        }
      }),
    );
    return c.json({ servers: results });
  });
  return app;
}
