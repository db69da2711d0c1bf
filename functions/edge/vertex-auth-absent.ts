import { GatewayError } from "../../shared/errors";
import type { googleCredentials as googleAuthCredentials } from "../../shared/providers/vertex/google-auth";

/**
 * Stands in for shared/providers/vertex/google-auth.ts in the edge bundle (infra/bundle-edge.mjs
 * aliases it): Google's auth library is Node's. Vertex AI deployments are served by the region;
 * the Gemini API (an API key, plain fetch) is served at the edge too.
 */
export const googleCredentials: typeof googleAuthCredentials = () => {
  const refuse = async (): Promise<never> => {
    throw new GatewayError({
      status: 501,
      type: "api_error",
      code: "provider_not_served_at_edge",
      message: "Vertex AI deployments are served by the region gateway, not the edge: call the region's URL",
    });
  };
  return { authorization: refuse, projectId: refuse };
};
