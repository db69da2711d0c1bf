import { z } from "zod";

/** LiteLLM's `auth_type`s for MCP servers (and here A2A agents too): how `auth_value` is sent. */
export const AUTH_TYPES = ["none", "api_key", "bearer_token", "basic", "authorization"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

/** Headers the gateway sets itself (or that would split or smuggle a request) are never static. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "te",
  "trailer",
  "keep-alive",
  "proxy-authorization",
  "mcp-session-id",
]);

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9a-z-]+$/i, "expected an HTTP header name")
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), "a header the gateway sets itself");
const headerValue = z
  .string()
  .max(8_192)
  .regex(/^[^\r\n\0]*$/, "expected a header value on one line");

/** The credential fields of a registration; `auth_value` and `static_headers` are sealed at rest. */
export const authFields = {
  auth_type: z.enum(AUTH_TYPES).optional(),
  auth_value: headerValue.min(1).optional(),
  static_headers: z.record(headerName, headerValue).optional(),
};

/** What is sealed: the secrets of a registration, never returned by any route. */
export interface UpstreamCredentials {
  readonly authValue?: string;
  readonly staticHeaders?: Readonly<Record<string, string>>;
}

/** The headers every call to the upstream carries: its static headers, then its credential. */
export function authHeaders(authType: AuthType, credentials: UpstreamCredentials): Record<string, string> {
  const headers: Record<string, string> = { ...credentials.staticHeaders };
  const value = credentials.authValue;
  if (value === undefined || authType === "none") return headers;
  if (authType === "api_key") headers["x-api-key"] = value;
  else if (authType === "bearer_token") headers.authorization = `Bearer ${value}`;
  else if (authType === "basic") headers.authorization = `Basic ${btoa(value)}`;
  else headers.authorization = value;
  return headers;
}

export const isAuthType = (value: string): value is AuthType =>
  (AUTH_TYPES as readonly string[]).includes(value);
