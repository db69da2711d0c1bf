import { badRequest, GatewayError } from "../../errors";

export const notFound = (message: string, param: string, code: string): GatewayError =>
  new GatewayError({ status: 404, type: "not_found_error", code, message, param });

interface PgError {
  code?: unknown;
  constraint?: unknown;
}

/**
 * Lets the database be the judge of uniqueness and references (an alias taken, a team id reused,
 * a team deleted a moment ago): a violation of one of the named constraints becomes a 400 naming
 * the field. Any other failure is not the client's fault and propagates.
 */
export function rethrowConstraint(
  error: unknown,
  fieldByConstraint: Readonly<Record<string, string>>,
): never {
  const { code, constraint } = (error ?? {}) as PgError;
  const field = typeof constraint === "string" ? fieldByConstraint[constraint] : undefined;
  if (field !== undefined && code === "23505") {
    throw badRequest(`${field}: already in use`, field, "duplicate");
  }
  if (field !== undefined && code === "23503") {
    throw badRequest(`${field}: does not exist`, field, "not_found");
  }
  throw error;
}
