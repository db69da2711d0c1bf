import type { Deployment } from "../config/deployment";
import { resolveEnvRefs } from "../config/env-refs";
import type { Env } from "../config/load";
import { deploymentsOf } from "../config/model-list";
import { type ModelEntry, modelEntrySchema } from "../config/schema";
import { badRequest } from "../errors";
import { OUTBOUND_ALLOWLIST, outboundPolicy } from "../http/outbound-url-policy";
import { validate } from "../http/parse-body";
import { formatIssuePath } from "../validation/issue-path";

/**
 * Variables a model added through the API may read, as `os.environ/NAME` or as its provider's
 * default key (comma-separated). None by default: the master key is a network credential, and a
 * model it adds must never borrow the gateway's own provider keys for an `api_base` it chose.
 */
export const DB_MODEL_ENV_ALLOWLIST = "ROUTEIQ_DB_MODEL_ENV_ALLOWLIST";

/** Providers whose credentials are the gateway's own identity (its AWS role, Google's ADC). */
const AMBIENT_CREDENTIAL_PROVIDERS: ReadonlySet<string> = new Set(["bedrock", "vertex_ai"]);

/** The environment a model added through the API sees: only what the operator allow-listed. */
function modelApiEnv(env: Env): Env {
  const names = (env[DB_MODEL_ENV_ALLOWLIST] ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
}

/** LiteLLM's default request timeout, in seconds, for a model that sets none. */
const DEFAULT_TIMEOUT_SECONDS = 600;
const LIST_PREFIX = /^model_list\[0\]\./;

/**
 * A database model as the gateway would serve it: validated with the config file's own schema and
 * checks (provider, api_base and the outbound URL policy, `os.environ/` references), so the API
 * refuses exactly what a config file would. Throws a 400 naming the first offending field.
 */
export function toDeployment(
  raw: unknown,
  id: string,
  env: Env,
): { entry: ModelEntry; deployment: Deployment } {
  const entry = validate(modelEntrySchema, raw);
  const outbound = outboundPolicy(env[OUTBOUND_ALLOWLIST]);
  const apiEnv = modelApiEnv(env);
  const resolved = resolveEnvRefs(entry, apiEnv);
  const problems = resolved.problems.map((p) => `${formatIssuePath(p.path)}: ${p.message}`);
  if (problems.length === 0) {
    const served = modelEntrySchema.parse(resolved.value);
    const { deployments } = deploymentsOf(
      [{ entry: { ...served, model_info: { ...served.model_info, id } }, index: 0 }],
      {
        env: apiEnv,
        outbound,
        fromEnv: (path) => {
          const name = resolved.names.get(formatIssuePath(path.slice(2)));
          return name === undefined ? undefined : `(value of os.environ/${name})`;
        },
        defaultTimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
        problems,
      },
    );
    const deployment = deployments[0];
    if (
      deployment !== undefined &&
      AMBIENT_CREDENTIAL_PROVIDERS.has(deployment.provider) &&
      deployment.apiBase !== undefined
    ) {
      // The gateway signs these with its own identity: another endpoint would receive its token.
      problems.push(
        `model_list[0].litellm_params.api_base: a ${deployment.provider} model added through the API is served at its provider's own endpoint; set a custom endpoint in the config file instead`,
      );
    }
    if (problems.length === 0 && deployment !== undefined) return { entry, deployment };
  }
  const first = (problems[0] ?? "model: cannot be served").replace(LIST_PREFIX, "");
  const field = first.slice(0, first.indexOf(":"));
  throw badRequest(problems.map((p) => p.replace(LIST_PREFIX, "")).join("; "), field, "invalid_model");
}
