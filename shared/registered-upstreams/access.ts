import type { Principal } from "../auth/principal";
import type { ObjectPermission } from "../keys/object-permission";

type Lister = (permission: ObjectPermission) => readonly string[] | undefined;

/** The `object_permission`s of a virtual key's key, team and user; none for the master key. */
function permissions(principal: Principal): readonly ObjectPermission[] {
  if (principal.kind !== "virtual_key") return [];
  const { key, team, user } = principal.context;
  return [key.objectPermission, team?.objectPermission ?? {}, user?.objectPermission ?? {}];
}

/**
 * Which registered upstreams (MCP servers, A2A agents) a principal may see and use: the master key
 * (and an open gateway) all of them; a virtual key those registered with `allow_all_keys`, and
 * those its key, team and user list (every level that lists some must list it).
 */
export function upstreamAccess(
  principal: Principal,
  list: Lister,
): (name: string, allowAllKeys: boolean) => boolean {
  if (principal.kind !== "virtual_key") return () => true;
  const lists = permissions(principal)
    .map(list)
    .filter((names): names is readonly string[] => names !== undefined);
  return (name, allowAllKeys) =>
    allowAllKeys || (lists.length > 0 && lists.every((names) => names.includes(name)));
}

/** Whether a virtual key may call `tool` of MCP server `server` (`mcp_tool_permissions`). */
export function toolAccess(principal: Principal): (server: string, tool: string) => boolean {
  const lists = permissions(principal);
  return (server, tool) =>
    lists.every((p) => {
      const tools = p.mcp_tool_permissions?.[server];
      return tools === undefined || tools.includes(tool);
    });
}
