import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type Prompt,
  ReadResourceRequestSchema,
  type Resource,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../logging/logger";
import { type McpServer, serverOffers } from "./server-spec";
import type { McpUpstreams } from "./upstream-clients";

const SERVER_INFO = { name: "routeiq-mcp-gateway", version: "1" };
/** Pages read per upstream list: a server that pages forever cannot hold a listing. */
const MAX_PAGES = 20;
const SEPARATOR = "-";
const RESOURCE_SCHEME = "routeiq-mcp:";

export interface ToolCallHooks {
  /** Admits the call under the caller's limits; throws when refused. Returns what to call when done. */
  admit(server: string, tool: string): Promise<(outcome: string, latencyMs: number) => void>;
}

export interface GatewaySelection {
  /** The servers this caller may see, as selected by the path or `x-mcp-servers`. */
  readonly servers: readonly McpServer[];
  /** `/mcp` names everything `<server>-<name>`; `/mcp/<server>` serves one server's names as they are. */
  readonly namespaced: boolean;
  /** Whether this caller may see and call `tool` of `server` (its key's `mcp_tool_permissions`). */
  readonly toolAllowed: (server: string, tool: string) => boolean;
}

const notFound = (what: string, name: string) =>
  new McpError(ErrorCode.InvalidParams, `unknown ${what}: ${name}`);

/**
 * An MCP server for one request: it lists what the selected upstream servers offer this caller
 * (namespaced by server) and forwards calls to them. Built per request, so nothing of one
 * caller's view outlives its request, and any replica can answer any request.
 */
export function gatewayServer(
  selection: GatewaySelection,
  upstreams: McpUpstreams,
  hooks: ToolCallHooks,
  logger: Logger,
): Server {
  const { servers, namespaced } = selection;
  const external = (server: McpServer, name: string) =>
    namespaced ? `${server.name}${SEPARATOR}${name}` : name;
  const internal = (name: string): [McpServer, string] | undefined => {
    if (!namespaced) return servers[0] === undefined ? undefined : [servers[0], name];
    const at = name.indexOf(SEPARATOR);
    const server = servers.find((s) => s.name === name.slice(0, at));
    return at < 0 || server === undefined ? undefined : [server, name.slice(at + 1)];
  };
  const timeout = { timeout: upstreams.requestTimeoutMs };

  /** Every selected server's answer; one that fails is left out (and reported), not the listing. */
  async function fromEach<T>(what: string, list: (server: McpServer, client: Client) => Promise<T[]>) {
    const lists = await Promise.all(
      servers.map((server) =>
        upstreams
          .with(server, (client) => list(server, client))
          .catch((error: unknown) => {
            logger.warn("MCP server left out of a listing", {
              server: server.name,
              what,
              error: error instanceof Error ? error.message : String(error),
            });
            return [] as T[];
          }),
      ),
    );
    return lists.flat();
  }

  async function pages<T>(read: (cursor: string | undefined) => Promise<{ items: T[]; next?: string }>) {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await read(cursor);
      items.push(...answer.items);
      cursor = answer.next;
      if (cursor === undefined) break;
    }
    return items;
  }

  const mcp = new Server(SERVER_INFO, { capabilities: { tools: {}, resources: {}, prompts: {} } });

  mcp.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: await fromEach("tools", async (server, client) => {
      if (client.getServerCapabilities()?.tools === undefined) return [];
      const tools = await pages(async (cursor) => {
        const r = await client.listTools(cursor === undefined ? {} : { cursor }, timeout);
        return { items: r.tools, next: r.nextCursor };
      });
      return tools
        .filter((t) => serverOffers(server, t.name) && selection.toolAllowed(server.name, t.name))
        .map((t): Tool => ({ ...t, name: external(server, t.name) }));
    }),
  }));

  mcp.setRequestHandler(CallToolRequestSchema, async (request) => {
    const found = internal(request.params.name);
    if (found === undefined) throw notFound("tool", request.params.name);
    const [server, tool] = found;
    if (!serverOffers(server, tool) || !selection.toolAllowed(server.name, tool)) {
      throw notFound("tool", request.params.name);
    }
    const done = await hooks.admit(server.name, tool);
    const started = Date.now();
    try {
      const result = await upstreams.with(server, (client) =>
        client.callTool({ name: tool, arguments: request.params.arguments }, undefined, timeout),
      );
      done(result.isError === true ? "tool_error" : "ok", Date.now() - started);
      return result as CallToolResult;
    } catch (error) {
      done(error instanceof McpError ? "upstream_error" : "unreachable", Date.now() - started);
      throw error instanceof McpError
        ? error
        : new McpError(ErrorCode.InternalError, `MCP server ${server.name} failed`);
    }
  });

  const resourceUri = (server: McpServer, uri: string) =>
    namespaced ? `${RESOURCE_SCHEME}//${server.name}/${encodeURIComponent(uri)}` : uri;

  mcp.setRequestHandler(ListResourcesRequestSchema, async () => ({
    resources: await fromEach("resources", async (server, client) => {
      if (client.getServerCapabilities()?.resources === undefined) return [];
      const resources = await pages(async (cursor) => {
        const r = await client.listResources(cursor === undefined ? {} : { cursor }, timeout);
        return { items: r.resources, next: r.nextCursor };
      });
      return resources.map(
        (r): Resource => ({ ...r, uri: resourceUri(server, r.uri), name: external(server, r.name) }),
      );
    }),
  }));

  mcp.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const { uri } = request.params;
    let server: McpServer | undefined = servers[0];
    let upstreamUri = uri;
    if (namespaced) {
      const match = /^routeiq-mcp:\/\/([A-Za-z0-9_]+)\/(.*)$/.exec(uri);
      server = servers.find((s) => s.name === match?.[1]);
      upstreamUri = match === null ? "" : decodeURIComponent(match[2] ?? "");
    }
    if (server === undefined) throw notFound("resource", uri);
    const result = await upstreams.with(server, (client) =>
      client.readResource({ uri: upstreamUri }, timeout),
    );
    const target = server;
    return { ...result, contents: result.contents.map((c) => ({ ...c, uri: resourceUri(target, c.uri) })) };
  });

  mcp.setRequestHandler(ListPromptsRequestSchema, async () => ({
    prompts: await fromEach("prompts", async (server, client) => {
      if (client.getServerCapabilities()?.prompts === undefined) return [];
      const prompts = await pages(async (cursor) => {
        const r = await client.listPrompts(cursor === undefined ? {} : { cursor }, timeout);
        return { items: r.prompts, next: r.nextCursor };
      });
      return prompts.map((p): Prompt => ({ ...p, name: external(server, p.name) }));
    }),
  }));

  mcp.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const found = internal(request.params.name);
    if (found === undefined) throw notFound("prompt", request.params.name);
    const [server, prompt] = found;
    return upstreams.with(server, (client) =>
      client.getPrompt({ name: prompt, arguments: request.params.arguments }, timeout),
    );
  });

  return mcp;
}
