import { z } from "zod";
import type { Env } from "../../shared/config/load";
import type { SecretReader } from "../aws/secrets-env";
import { ACCESS_NAMES, type Access, type LoginRole } from "./database-roles";
import { scramVerifier } from "./scram-verifier";

/**
 * The login roles to set up: `[{"secret_arn": "arn:...", "access": ["serve"]}, ...]`, or
 * `url_secret_arn` instead of `secret_arn` for a role the operator made (external stores).
 */
export const ROLES_VARIABLE = "ROUTEIQ_DATABASE_ROLES";

const rolesSchema = z.array(
  z
    .object({
      /** `{username, password}`: the role is created if missing, and its password set. */
      secret_arn: z.string().min(1).optional(),
      /** A PostgreSQL URL the role logs in with: the role must exist, and its password is left alone. */
      url_secret_arn: z.string().min(1).optional(),
      access: z.array(z.enum(ACCESS_NAMES as [Access, ...Access[]])).min(1),
    })
    .refine((role) => (role.secret_arn === undefined) !== (role.url_secret_arn === undefined), {
      message: "give secret_arn or url_secret_arn, one of them",
    }),
);

/** A role's secret as RDS's DatabaseSecret generates it; any host in it is not used here. */
const roleSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

const describe = (issues: readonly z.core.$ZodIssue[]) =>
  issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");

/** Credentials: the role's name, and a SCRAM verifier of the password to set. */
function fromCredentials(arn: string, text: string): Pick<LoginRole, "name" | "passwordVerifier"> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text, which is the secret.
    throw new Error(`${ROLES_VARIABLE}: the secret ${arn} is not JSON; expected {username, password}`);
  }
  const secret = roleSecretSchema.safeParse(value);
  if (!secret.success) {
    const fields = secret.error.issues.map((issue) => issue.path.join(".") || "(root)");
    throw new Error(`${ROLES_VARIABLE}: the secret ${arn} has invalid fields: ${fields.join(", ")}`);
  }
  return { name: secret.data.username, passwordVerifier: scramVerifier(secret.data.password) };
}

/** A URL: only the role's name; its password is the operator's, and never leaves this function. */
function fromUrl(arn: string, text: string): Pick<LoginRole, "name"> {
  // URL's error carries its input, which is the secret: neither is passed on.
  const url = URL.canParse(text.trim()) ? new URL(text.trim()) : undefined;
  if (url === undefined || (url.protocol !== "postgres:" && url.protocol !== "postgresql:"))
    throw new Error(`${ROLES_VARIABLE}: the secret ${arn} is not a postgres:// or postgresql:// URL`);
  if (url.username === "")
    throw new Error(`${ROLES_VARIABLE}: the URL in the secret ${arn} has no user name`);
  return { name: decodeURIComponent(url.username) };
}

/**
 * The login roles ROUTEIQ_DATABASE_ROLES names, read from their secrets: from credentials, with
 * the password turned into a SCRAM verifier; from a URL, the user name alone. None when the
 * variable is unset. Errors name the variable, the field or the secret's ARN, never a secret's value.
 */
export async function loginRolesFromEnv(env: Env, secrets: () => SecretReader): Promise<LoginRole[]> {
  const raw = env[ROLES_VARIABLE];
  if (raw === undefined || raw === "") return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${ROLES_VARIABLE}: not JSON; expected [{"secret_arn": "...", "access": ["serve"]}]`);
  }
  const parsed = rolesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${ROLES_VARIABLE}: ${describe(parsed.error.issues)}`);
  const reader = secrets();
  return Promise.all(
    parsed.data.map(async ({ secret_arn, url_secret_arn, access }) => {
      const arn = (secret_arn ?? url_secret_arn) as string;
      let text: string;
      try {
        text = await reader.read(arn);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${ROLES_VARIABLE}: could not read the secret ${arn}: ${reason}`);
      }
      return { ...(secret_arn === undefined ? fromUrl(arn, text) : fromCredentials(arn, text)), access };
    }),
  );
}
