import { parseServiceAccount } from "../../config/cloud-params";
import type { Deployment } from "../../config/deployment";
import { GatewayError, UpstreamError } from "../../errors";

/** How Vertex AI calls are authorised: the port behind which Google's auth library sits. */
export interface VertexCredentials {
  /** The `authorization` header's value, refreshed as the credentials require. */
  authorization(): Promise<string>;
  /** The project the credentials belong to, for deployments that name none. */
  projectId(): Promise<string>;
}

// One per deployment object: a config reload makes new deployments, and the old credentials go with them.
const cache = new WeakMap<Deployment, Promise<VertexCredentials>>();

/**
 * The deployment's credentials: its `vertex_credentials` service account, else Application
 * Default Credentials. Google's auth library is loaded on first use, so a gateway that serves no
 * Vertex AI deployment never pays for it at start.
 */
export function vertexCredentials(d: Deployment): Promise<VertexCredentials> {
  let credentials = cache.get(d);
  if (credentials === undefined) {
    const serviceAccount = parseServiceAccount(d.params.vertex_credentials);
    credentials = import("./google-auth").then((m) => m.googleCredentials(serviceAccount));
    // A failed load is not kept: the next request tries again.
    credentials.catch(() => cache.delete(d));
    cache.set(d, credentials);
  }
  return credentials;
}

/**
 * Credentials that cannot be had (no ADC, an unreachable metadata server, a refused key) fail
 * this deployment, as an upstream that refused them would: the router tries another. The auth
 * library's own message is left out, since it may quote the credentials' content.
 */
export async function authorizationFor(d: Deployment): Promise<string> {
  try {
    return await (await vertexCredentials(d)).authorization();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    const kind = error instanceof Error ? error.name : "error";
    throw new UpstreamError(
      "http",
      401,
      `vertex_ai: could not obtain Google credentials for ${d.id} (${kind})`,
    );
  }
}

export async function projectFor(d: Deployment): Promise<string> {
  const configured = d.params.vertex_project ?? d.params.vertex_ai_project;
  if (typeof configured === "string") return configured;
  const fromKey = parseServiceAccount(d.params.vertex_credentials)?.project_id;
  if (fromKey !== undefined) return fromKey;
  try {
    return await (await vertexCredentials(d)).projectId();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new UpstreamError(
      "http",
      401,
      `vertex_ai: ${d.id} names no vertex_project and its credentials name no project`,
    );
  }
}
