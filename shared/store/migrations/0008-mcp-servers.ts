/**
 * The MCP gateway's registry of upstream MCP servers (those registered at runtime; config.yaml's
 * `mcp_servers` are served from the config), and which servers and tools keys, teams and users may
 * use (LiteLLM's `object_permission`: `mcp_servers`, `mcp_tool_permissions`, `agents`). Upstream
 * credentials are stored sealed (AES-GCM), never in the clear.
 */
export default /* sql */ `
CREATE TABLE routeiq_mcp_servers (
  name              text PRIMARY KEY,
  url               text NOT NULL,
  transport         text NOT NULL CHECK (transport IN ('http', 'sse')),
  description       text,
  auth_type         text NOT NULL DEFAULT 'none',
  credentials       text,
  allow_all_keys    boolean NOT NULL DEFAULT false,
  allowed_tools     text[],
  disallowed_tools  text[] NOT NULL DEFAULT '{}',
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE routeiq_keys ADD COLUMN object_permission jsonb NOT NULL DEFAULT '{}';
ALTER TABLE routeiq_teams ADD COLUMN object_permission jsonb NOT NULL DEFAULT '{}';
ALTER TABLE routeiq_users ADD COLUMN object_permission jsonb NOT NULL DEFAULT '{}';
`;
