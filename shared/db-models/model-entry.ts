import type { Deployment } from "../config/deployment";
import { resolveEnvRefs } from "../config/env-refs";
import type { Env } from "../config/load";
import { deploymentsOf } from "../config/model-list";
import { type ModelEntry, modelEntrySchema } from "../config/schema";
import { badRequest } from "../errors";
import { OUTBOUND_ALLOWLIST, outboundPolicy } from "../http/outbound-url-policy";
import { validate } from "../http/parse-body";
import { formatIssuePath } from "../validation/issue-path";

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
  const resolved = resolveEnvRefs(entry, env);
  const problems = resolved.problems.map((p) => `${formatIssuePath(p.path)}: ${p.message}`);
  if (problems.length === 0) {
    const served = modelEntrySchema.parse(resolved.value);
    const { deployments } = deploymentsOf(
      [{ entry: { ...served, model_info: { ...served.model_info, id } }, index: 0 }],
      {
        env,
        outbound: outboundPolicy(env[OUTBOUND_ALLOWLIST]),
        fromEnv: (path) => {
          const name = resolved.names.get(formatIssuePath(path.slice(2)));
          return name === undefined ? undefined : `(value of os.environ/${name})`;
        },
        defaultTimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
        problems,
      },
    );
    const deployment = deployments[0];
    if (problems.length === 0 && deployment !== undefined) return { entry, deployment };
  }
  const first = (problems[0] ?? "model: cannot be served").replace(LIST_PREFIX, "");
  const field = first.slice(0, first.indexOf(":"));
  throw badRequest(problems.map((p) => p.replace(LIST_PREFIX, "")).join("; "), field, "invalid_model");
}
