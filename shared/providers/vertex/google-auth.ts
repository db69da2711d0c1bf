import { GoogleAuth } from "google-auth-library";
import type { ServiceAccount } from "../../config/cloud-params";
import type { VertexCredentials } from "./credentials";

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/**
 * Google's auth library behind the VertexCredentials port. A service account key signs its own
 * short-lived tokens (a self-signed JWT with the cloud-platform scope, which Vertex AI accepts),
 * so no token endpoint is called; without one, Application Default Credentials apply
 * (GOOGLE_APPLICATION_CREDENTIALS, workload identity, the metadata server). Imported lazily:
 * only a gateway that serves Vertex AI loads it.
 */
export function googleCredentials(serviceAccount: ServiceAccount | undefined): VertexCredentials {
  const auth = new GoogleAuth({
    scopes: [SCOPE],
    ...(serviceAccount === undefined ? {} : { credentials: serviceAccount }),
  });
  auth.useJWTAccessWithScope = true;
  return {
    async authorization() {
      const headers = await auth.getRequestHeaders();
      const value = headers.get("authorization");
      if (value === null) throw new Error("the credentials gave no authorization header");
      return value;
    },
    projectId: () => auth.getProjectId(),
  };
}
