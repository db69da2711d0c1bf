import { z } from "zod";
import { type AuthType, authFields, type UpstreamCredentials } from "../registered-upstreams/auth";

/** A server's name is its namespace (`<server>-<tool>`): no `-` in it, and safe in a URL path. */
export const serverNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,64}$/, "expected 1-64 letters, digits or underscores (the tool namespace)");

const toolList = z.array(z.string().min(1).max(256)).max(1000);

/**
 * An upstream MCP server as config.yaml's `mcp_servers` and `POST /v1/mcp/server` describe it
 * (LiteLLM's shape). Remote transports only: a `command` (stdio) would run a program on the
 * gateway's host for whoever may register one.
 */
export const serverFields = {
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).max(2_048),
  transport: z.enum(["http", "sse"], { error: 'expected "http" (Streamable HTTP) or "sse"' }).optional(),
  description: z.string().max(1_000).optional(),
  ...authFields,
  allow_all_keys: z.boolean().optional(),
  allowed_tools: toolList.optional(),
  disallowed_tools: toolList.optional(),
};

const noStdio = {
  command: z
    .never({ error: "stdio MCP servers are not served: register a Streamable HTTP or SSE URL" })
    .optional(),
};

export const configServerSchema = z.looseObject({ ...serverFields, ...noStdio });
export const mcpServersConfigSchema = z.record(serverNameSchema, configServerSchema);

/** A server the gateway may call, whichever source it came from, credentials opened. */
export interface McpServer {
  readonly name: string;
  readonly url: string;
  readonly transport: "http" | "sse";
  readonly description: string | undefined;
  readonly authType: AuthType;
  readonly credentials: UpstreamCredentials;
  readonly allowAllKeys: boolean;
  /** Undefined: every tool the server lists. */
  readonly allowedTools: readonly string[] | undefined;
  readonly disallowedTools: readonly string[];
  readonly source: "config" | "database";
}

/** LiteLLM's default: an SSE endpoint ends in `/sse`; anything else is Streamable HTTP. */
export const defaultTransport = (url: string): "http" | "sse" =>
  new URL(url).pathname.replace(/\/+$/, "").endsWith("/sse") ? "sse" : "http";

/** Whether the server's own lists let `tool` through (before any key's own lists). */
export const serverOffers = (server: McpServer, tool: string): boolean =>
  (server.allowedTools === undefined || server.allowedTools.includes(tool)) &&
  !server.disallowedTools.includes(tool);
