import { Hono } from "hono";
import { z } from "zod";
import { badRequest } from "../errors";
import type { GatewayEnv } from "../http/env";
import type { OutboundPolicy } from "../http/outbound-url-policy";
import { hasCredentials, headerAuthFields } from "../registered-upstreams/auth";
import type { CredentialSeal } from "../registered-upstreams/sealed-credentials";
import { notFound } from "../routes/management/errors";
import { readBody } from "../routes/management/input";
import type { Sql } from "../store/sql/port";
import { deleteA2aAgent, insertA2aAgent } from "../store/tables/a2a-agents";
import type { A2aAgent, A2aRegistry } from "./registry";

export const A2A_ADMIN_PATHS = ["/v1/agents", "/v1/agents/*"] as const;

export const agentNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "expected 1-64 letters, digits, - or _ (it names the agent's path)");

const createSchema = z.object({
  agent_name: agentNameSchema,
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL" }).max(2_048),
  description: z.string().max(1_000).optional(),
  ...headerAuthFields,
  allow_all_keys: z.boolean().optional(),
});

/** An agent as the admin API shows it: never its credentials. */
const agentView = (a: A2aAgent) => ({
  agent_name: a.name,
  url: a.url,
  description: a.description ?? null,
  auth_type: a.authType,
  has_credentials: hasCredentials(a.credentials),
  allow_all_keys: a.allowAllKeys,
});

/** The agent registry (`/v1/agents`): create, list, delete; master key only (the module guards it). */
export function a2aAdminRoutes(options: {
  readonly sql: Sql;
  readonly registry: A2aRegistry;
  readonly seal: CredentialSeal;
  readonly outbound: OutboundPolicy;
}): Hono<GatewayEnv> {
  const { sql, registry, seal, outbound } = options;
  const app = new Hono<GatewayEnv>();
  app.post("/v1/agents", async (c) => {
    const body = await readBody(c, createSchema);
    const refused = outbound.refuseUrl(body.url);
    if (refused !== undefined) throw badRequest(`url: ${refused}`, "url", "url_refused");
    const created = await insertA2aAgent(sql, {
      name: body.agent_name,
      url: body.url,
      description: body.description ?? null,
      authType: body.auth_type ?? (body.auth_value === undefined ? "none" : "bearer_token"),
      credentials: await seal.seal(
        { authValue: body.auth_value, staticHeaders: body.static_headers },
        body.agent_name,
      ),
      allowAllKeys: body.allow_all_keys ?? false,
    });
    if (created === undefined) {
      throw badRequest(`agent_name: ${body.agent_name} already exists`, "agent_name", "duplicate");
    }
    await registry.changed();
    return c.json(agentView(registry.get(created.name) as A2aAgent));
  });
  app.get("/v1/agents", (c) => c.json(registry.all().map(agentView)));
  app.delete("/v1/agents/:name", async (c) => {
    const name = c.req.param("name");
    if (!(await deleteA2aAgent(sql, name)))
      throw notFound(`no agent named ${name}`, "agent_name", "agent_not_found");
    await registry.changed();
    return c.json({ deleted: name });
  });
  return app;
}
