import { z } from "zod";

/**
 * LiteLLM's `litellm_params` for the cloud providers (Bedrock's `aws_*`, Vertex AI's `vertex_*`),
 * validated where a value becomes part of a host name, a path or a credential. Messages never
 * repeat a value: these fields are often read from the environment, and some are secrets.
 */

// Regions and locations become part of a host name (`bedrock-runtime.<region>.amazonaws.com`,
// `<location>-aiplatform.googleapis.com`): anything but a plain label could name another host.
const hostLabel = (what: string) =>
  z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: `expected ${what}` });

/** Project ids, and the domain-scoped form `example.com:project`; they become a path segment. */
const projectId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.:-]*$/, { message: "expected a Google Cloud project id, e.g. my-project" });

const SERVICE_ACCOUNT_HINT =
  "expected a service account key's JSON (type service_account, with client_email and private_key)";

export const serviceAccountSchema = z.looseObject({
  type: z.literal("service_account"),
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  private_key_id: z.string().optional(),
  project_id: z.string().optional(),
});

export type ServiceAccount = z.infer<typeof serviceAccountSchema>;

/**
 * `vertex_credentials`: LiteLLM takes a file path or the key's JSON. Only the JSON of a service
 * account is accepted here. A path would let whoever writes the config have any file on the
 * gateway's host read as a credential, and the other credential types (external_account,
 * authorized_user) name URLs and files that the auth library then reads and posts elsewhere.
 * Workload identity and GOOGLE_APPLICATION_CREDENTIALS stay available by leaving the field out:
 * Application Default Credentials are the operator's environment, not the config's.
 */
export function parseServiceAccount(value: unknown): ServiceAccount | undefined {
  let json = value;
  if (typeof value === "string") {
    try {
      json = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  const parsed = serviceAccountSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

const vertexCredentials = z.unknown().superRefine((value, ctx) => {
  if (parseServiceAccount(value) !== undefined) return;
  const looksLikePath = typeof value === "string" && !value.trimStart().startsWith("{");
  ctx.addIssue({
    code: "custom",
    message: looksLikePath
      ? `${SERVICE_ACCOUNT_HINT}; a file path is not read (a config could name any file on the gateway's host): leave vertex_credentials out to use Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity)`
      : SERVICE_ACCOUNT_HINT,
  });
});

export const cloudParamsShape = {
  aws_access_key_id: z.string().min(1).optional(),
  aws_secret_access_key: z.string().min(1).optional(),
  aws_session_token: z.string().min(1).optional(),
  aws_region_name: hostLabel("an AWS region, e.g. us-east-1").optional(),
  aws_role_name: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, { message: "expected a role ARN" })
    .optional(),
  aws_session_name: z
    .string()
    .regex(/^[\w+=,.@-]{2,64}$/, { message: "expected a role session name (2-64 of A-Z a-z 0-9 +=,.@-_)" })
    .optional(),
  aws_external_id: z.string().min(2).optional(),
  aws_profile_name: z.string().min(1).optional(),
  aws_web_identity_token: z.string().min(1).optional(),
  aws_bedrock_runtime_endpoint: z.url().optional(),
  vertex_project: projectId.optional(),
  vertex_location: hostLabel("a Google Cloud location, e.g. us-central1 or global").optional(),
  vertex_credentials: vertexCredentials.optional(),
  // LiteLLM's older spellings of the two above.
  vertex_ai_project: projectId.optional(),
  vertex_ai_location: hostLabel("a Google Cloud location, e.g. us-central1 or global").optional(),
};
