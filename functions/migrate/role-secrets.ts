import { z } from "zod";
import type { Env } from "../../shared/config/load";
import type { SecretReader } from "../aws/secrets-env";
import { ACCESS_NAMES, type Access, type LoginRole } from "./database-roles";
import { scramVerifier } from "./scram-verifier";

/** The login roles to set up: `[{"secret_arn": "arn:...", "access": ["serve"]}, ...]`. */
export const ROLES_VARIABLE = "ROUTEIQ_DATABASE_ROLES";

const rolesSchema = z.array(
  z.object({
    secret_arn: z.string().min(1),
    access: z.array(z.enum(ACCESS_NAMES as [Access, ...Access[]])).min(1),
  }),
);

/** A role's secret as RDS's DatabaseSecret generates it; any host in it is not used here. */
const roleSecretSchema = z.object({ username: z.string().min(1), password: z.string().min(1) });

const describe = (issues: readonly z.core.$ZodIssue[]) =>
  issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");

/**
 * The login roles ROUTEIQ_DATABASE_ROLES names, each with the password from its secret turned
 * into a SCRAM verifier; none when the variable is unset. Errors name the variable, the field or
 * the secret's ARN, never a secret's value.
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
    parsed.data.map(async ({ secret_arn, access }) => {
      let text: string;
      try {
        text = await reader.read(secret_arn);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${ROLES_VARIABLE}: could not read the secret ${secret_arn}: ${reason}`);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        // JSON.parse's message quotes the text, which is the secret.
        throw new Error(
          `${ROLES_VARIABLE}: the secret ${secret_arn} is not JSON; expected {username, password}`,
        );
      }
      const secret = roleSecretSchema.safeParse(value);
      if (!secret.success) {
        const fields = secret.error.issues.map((issue) => issue.path.join(".") || "(root)");
        throw new Error(
          `${ROLES_VARIABLE}: the secret ${secret_arn} has invalid fields: ${fields.join(", ")}`,
        );
      }
      return {
        name: secret.data.username,
        passwordVerifier: scramVerifier(secret.data.password),
        access,
      };
    }),
  );
}
