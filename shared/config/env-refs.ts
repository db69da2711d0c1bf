const PREFIX = "os.environ/";

export interface EnvProblem {
  readonly path: readonly PropertyKey[];
  readonly name: string;
}

/**
 * Replaces every `os.environ/NAME` string (LiteLLM's syntax) with the variable's value.
 * Missing variables are collected, not thrown, so every problem can be reported at once.
 */
export function resolveEnvRefs(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: EnvProblem[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === "string") {
    if (!value.startsWith(PREFIX)) return value;
    const name = value.slice(PREFIX.length);
    const resolved = env[name];
    if (resolved === undefined || resolved === "") problems.push({ path, name });
    return resolved;
  }
  if (Array.isArray(value))
    return value.map((item, index) => resolveEnvRefs(item, env, problems, [...path, index]));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = resolveEnvRefs(item, env, problems, [...path, key]);
    return out;
  }
  return value;
}
