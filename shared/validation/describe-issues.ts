import type { z } from "zod";
import { formatIssuePath } from "./issue-path";

export interface Problem {
  /** `messages[0].content`, or `(root)`. */
  readonly path: string;
  readonly message: string;
}

/**
 * A failed `string | array` union hides the real problem inside its branches. When exactly one
 * branch got past the type check (the client sent an array, say), that branch's issues are the
 * ones worth reporting.
 */
function flatten(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[]): Problem[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union") {
      const typed = issue.errors.filter(
        (branch) => !branch.every((inner) => inner.code === "invalid_type" && inner.path.length === 0),
      );
      const [only] = typed;
      if (typed.length === 1 && only) return flatten(only, path);
    }
    return [{ path: formatIssuePath(path), message: issue.message }];
  });
}

/** Says "required" for a missing field instead of zod's "expected string, received undefined". */
export const missingIsRequired: z.core.$ZodErrorMap = (issue) =>
  issue.code === "invalid_type" && issue.input === undefined ? "required" : undefined;

/** Every issue of a failed parse as `path: message`, most specific first where a union hides it. */
export function describeIssues(error: z.ZodError): Problem[] {
  return flatten(error.issues, []);
}
