import { z } from "zod";

type Env = Readonly<Record<string, string | undefined>>;

/** A variable name as configs reference it: `os.environ/OPENAI_API_KEY`. */
const VARIABLE_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** ROUTEIQ_ENV_SECRET_ARN's secret: `{"OPENAI_API_KEY": "sk-...", "ANTHROPIC_API_KEY": "..."}`. */
const envSecretSchema = z.record(z.string().regex(VARIABLE_NAME), z.string());

/**
 * Names no secret may set: another secret's ARN (resolution is one level deep), what Node reads
 * only at process start (NODE_OPTIONS, NODE_EXTRA_CA_CERTS: too late to take effect), and what the
 * AWS SDK reads (AWS_*: a key here would replace the function's or task's own role).
 */
const isOffLimits = (name: string) =>
  name.endsWith("_SECRET_ARN") || name.startsWith("NODE_") || name.startsWith("AWS_");

const blank = (value: string | undefined) => value === undefined || value === "";

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  if (issues.some((issue) => issue.path.length === 0))
    return "the secret is not a JSON object of variable name to string";
  const parts: string[] = [];
  // An invalid name is counted, never shown: it may be a value pasted where a name belongs.
  const badNames = issues.filter((issue) => issue.code === "invalid_key").length;
  if (badNames > 0) parts.push(`${badNames} name(s) do not match ${VARIABLE_NAME.source}`);
  const badValues = issues
    .filter((issue) => issue.code !== "invalid_key")
    .map((issue) => String(issue.path[0]))
    .filter((name) => VARIABLE_NAME.test(name));
  if (badValues.length > 0) parts.push(`not strings: ${badValues.join(", ")}`);
  return parts.join("; ");
}

/**
 * The variables ROUTEIQ_ENV_SECRET_ARN's secret holds, checked against `env`: a name already set
 * there (non-empty), one in `reserved` (the variables the secret resolution itself reads or writes),
 * or one off limits to any secret is refused, so no value silently beats another. Every problem is
 * reported at once; errors name variables, never values.
 */
export function variablesFromEnvSecret(
  secret: string,
  env: Env,
  reserved: ReadonlySet<string>,
): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(secret);
  } catch {
    throw new Error('ROUTEIQ_ENV_SECRET_ARN: the secret is not JSON; expected {"NAME": "value", ...}');
  }
  const parsed = envSecretSchema.safeParse(json);
  if (!parsed.success) throw new Error(`ROUTEIQ_ENV_SECRET_ARN: ${describeIssues(parsed.error.issues)}`);
  const problems: string[] = [];
  for (const name of Object.keys(parsed.data)) {
    if (reserved.has(name) || isOffLimits(name))
      problems.push(`${name} cannot come from this secret; set it (or its own *_SECRET_ARN) directly`);
    else if (!blank(env[name])) problems.push(`${name} is also set in the environment; set it in one place`);
  }
  if (problems.length > 0) throw new Error(`ROUTEIQ_ENV_SECRET_ARN: ${problems.join("; ")}`);
  return parsed.data;
}
