import { z } from "zod";

const name = z.string().trim().min(1).max(256);

/**
 * LiteLLM's `object_permission` on keys, teams and users: which MCP servers (and, per server,
 * which of their tools) and which A2A agents they may see and use. A list left out restricts
 * nothing at that level; servers and agents nobody listed are reachable only if registered with
 * `allow_all_keys`.
 */
export const objectPermissionSchema = z.strictObject({
  mcp_servers: z.array(name).max(1000).optional(),
  mcp_tool_permissions: z.record(name, z.array(name).max(1000)).optional(),
  agents: z.array(name).max(1000).optional(),
});

export type ObjectPermission = z.infer<typeof objectPermissionSchema>;
