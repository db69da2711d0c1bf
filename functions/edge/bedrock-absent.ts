import { GatewayError } from "../../shared/errors";
import type { sdkRuntime as awsSdkRuntime } from "../../shared/providers/bedrock/sdk-runtime";

/**
 * Stands in for shared/providers/bedrock/sdk-runtime.ts in the edge bundle (infra/bundle-edge.mjs
 * aliases it): the AWS SDK is Node's, and a Worker has no IAM role to sign with. Bedrock
 * deployments are served by the region; at the edge they answer this, as the gateway's own
 * limit, never counted against the deployment in the router state the edge shares with the region.
 */
export const sdkRuntime: typeof awsSdkRuntime = (d) => {
  throw new GatewayError({
    status: 501,
    type: "api_error",
    code: "provider_not_served_at_edge",
    message: `${d.id}: Bedrock deployments are served by the region gateway, not the edge: call the region's URL`,
  });
};
