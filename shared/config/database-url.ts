import { z } from "zod";

export const DATABASE_URL_EXAMPLE = "postgresql://user:password@host:5432/routeiq";

/**
 * What is wrong with a PostgreSQL connection URL, or undefined when it is one. Never quotes the
 * value: it carries a password.
 */
export function databaseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `expected a PostgreSQL URL such as ${DATABASE_URL_EXAMPLE}; the value is not a URL`;
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return `expected a postgres:// or postgresql:// URL such as ${DATABASE_URL_EXAMPLE}; the value's scheme is "${url.protocol.slice(0, -1)}"`;
  }
  // `postgresql:///db?host=/run/postgresql` reaches a Unix socket.
  if (url.hostname === "" && !url.searchParams.has("host")) {
    return `expected a host in the URL, as in ${DATABASE_URL_EXAMPLE}`;
  }
  return undefined;
}

/** A PostgreSQL connection URL, for env and config schemas; the message names no part of the value. */
export const databaseUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = databaseUrlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
