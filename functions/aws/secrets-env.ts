import { z } from "zod";
import { allowInConfigs, CONFIG_ENV_ALLOWLIST } from "../../shared/config/env-refs";
import { variablesFromEnvSecret } from "./env-secret";

type Env = Readonly<Record<string, string | undefined>>;

/** Reads one secret's string value; the adapter is Secrets Manager, tests pass a fake. */
export interface SecretReader {
  read(secretId: string): Promise<string>;
}

/**
 * Each secret variable and the one it becomes; only DATABASE_SECRET_ARN's secret is JSON (RDS's).
 * The URL secrets name stores outside AWS (Neon, Upstash) that the edge shares (`state=external`).
 */
const SECRETS = [
  ["DATABASE_SECRET_ARN", "DATABASE_URL"],
  ["DATABASE_URL_SECRET_ARN", "DATABASE_URL"],
  ["REDIS_PASSWORD_SECRET_ARN", "REDIS_PASSWORD"],
  ["REDIS_URL_SECRET_ARN", "REDIS_URL"],
  ["LITELLM_MASTER_KEY_SECRET_ARN", "LITELLM_MASTER_KEY"],
] as const;

/** Names a JSON object of further variables: the provider API keys configs reference. */
const ENV_SECRET_ARN = "ROUTEIQ_ENV_SECRET_ARN";

/**
 * What the resolution itself sets or reads (DATABASE_URL and its parts, the configs' allow list):
 * the env secret may not set these, or which value wins would depend on the order of resolution.
 */
const RESOLUTION_VARIABLES: ReadonlySet<string> = new Set([
  ...SECRETS.map(([, target]) => target),
  CONFIG_ENV_ALLOWLIST,
  "DATABASE_HOST",
  "DATABASE_PORT",
  "DATABASE_NAME",
  "DATABASE_SSLMODE",
]);

/** The JSON secret RDS generates for a database's credentials. */
const rdsSecretSchema = z.object({
  username: z.string().min(1),
  password: z.string(),
  // RDS-managed master secrets hold only the credentials; DATABASE_HOST/PORT/NAME fill the rest.
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  dbname: z.string().min(1).optional(),
});

/** libpq's modes as `pg` reads them from the URL; `no-verify` is pg's own (TLS without a CA check). */
const sslModeSchema = z.enum(["disable", "no-verify", "require", "verify-ca", "verify-full"]);

const blank = (value: string | undefined) => value === undefined || value === "";

/**
 * Builds `postgres://user:password@host:port/db?sslmode=...` from the RDS secret. `pg` turns
 * `verify-full` (the default) into TLS that checks the certificate chain and host name against
 * Node's CAs, which on Lambda include the RDS bundle via NODE_EXTRA_CA_CERTS.
 */
export function databaseUrlFromSecret(secret: string, env: Env): string {
  let json: unknown;
  try {
    json = JSON.parse(secret);
  } catch {
    throw new Error("DATABASE_SECRET_ARN: the secret is not JSON; expected RDS's {username, password, ...}");
  }
  const parsed = rdsSecretSchema.safeParse(json);
  if (!parsed.success) {
    // Field names only: the values are credentials.
    const fields = parsed.error.issues.map((issue) => issue.path.join(".") || "(root)");
    throw new Error(`DATABASE_SECRET_ARN: the secret's fields are invalid: ${fields.join(", ")}`);
  }
  const { username, password } = parsed.data;
  const host = parsed.data.host ?? env.DATABASE_HOST;
  const port = parsed.data.port ?? (blank(env.DATABASE_PORT) ? 5432 : Number(env.DATABASE_PORT));
  const dbname = parsed.data.dbname ?? (blank(env.DATABASE_NAME) ? "postgres" : env.DATABASE_NAME);
  if (blank(host))
    throw new Error("DATABASE_SECRET_ARN: the secret has no host and DATABASE_HOST is not set");
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`DATABASE_PORT: expected a port number, got "${env.DATABASE_PORT}"`);
  const mode = sslModeSchema.safeParse(blank(env.DATABASE_SSLMODE) ? "verify-full" : env.DATABASE_SSLMODE);
  if (!mode.success) throw new Error(`DATABASE_SSLMODE: expected one of ${sslModeSchema.options.join(", ")}`);
  const url = new URL(`postgres://${host}`);
  url.port = String(port);
  url.username = encodeURIComponent(username);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(dbname as string)}`;
  url.searchParams.set("sslmode", mode.data);
  return url.toString();
}

/**
 * Returns `env` with each `*_SECRET_ARN` replaced by the variable it stands for, read from the
 * secret store: `DATABASE_SECRET_ARN` (RDS JSON) → DATABASE_URL, `REDIS_PASSWORD_SECRET_ARN` →
 * REDIS_PASSWORD, `LITELLM_MASTER_KEY_SECRET_ARN` → LITELLM_MASTER_KEY, and
 * `ROUTEIQ_ENV_SECRET_ARN` (a JSON object of name → value) → each variable it holds, its name added
 * to ROUTEIQ_CONFIG_ENV_ALLOWLIST since configs reference them as `os.environ/NAME`. Setting a
 * variable both ways is refused, so a stale plaintext value never silently wins. Errors name
 * variables, never values. `reader` is called only when some secret is named.
 */
export async function resolveSecretEnv(env: Env, reader: () => SecretReader): Promise<Env> {
  const named = SECRETS.filter(([arnName]) => !blank(env[arnName]));
  const envSecretNamed = !blank(env[ENV_SECRET_ARN]);
  if (named.length === 0 && !envSecretNamed) return env;
  for (const [arnName, target] of named) {
    if (!blank(env[target])) throw new Error(`set ${target} or ${arnName}, not both`);
    const other = named.find(([name, to]) => to === target && name !== arnName);
    if (other !== undefined) throw new Error(`set ${arnName} or ${other[0]}, not both`);
  }
  const secrets = reader();
  const read = async (arnName: string) => {
    try {
      return await secrets.read(env[arnName] as string);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`${arnName}: could not read the secret: ${reason}`);
    }
  };
  const [values, variables] = await Promise.all([
    Promise.all(
      named.map(async ([arnName, target]) => {
        const value = await read(arnName);
        return [
          target,
          arnName === "DATABASE_SECRET_ARN" ? databaseUrlFromSecret(value, env) : value,
        ] as const;
      }),
    ),
    envSecretNamed
      ? read(ENV_SECRET_ARN).then((value) => variablesFromEnvSecret(value, env, RESOLUTION_VARIABLES))
      : {},
  ]);
  return allowInConfigs({ ...env, ...variables, ...Object.fromEntries(values) }, Object.keys(variables));
}
