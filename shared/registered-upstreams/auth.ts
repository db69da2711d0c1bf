import { z } from "zod";

/** LiteLLM's `auth_type`s for MCP servers (and here A2A agents too): how `auth_value` is sent. */
export const AUTH_TYPES = ["none", "api_key", "bearer_token", "basic", "authorization", "oauth2"] as const;
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

/** The credential fields of an A2A agent: `auth_value` and `static_headers`, sealed at rest. */
export const headerAuthFields = {
  auth_type: z.enum(AUTH_TYPES.filter((t) => t !== "oauth2") as ["none", ...AuthType[]]).optional(),
  auth_value: headerValue.min(1).optional(),
  static_headers: z.record(headerName, headerValue).optional(),
};

/** The credential fields of an MCP server: those of an agent, and an OAuth2 client, all sealed at rest. */
export const authFields = {
  ...headerAuthFields,
  auth_type: z.enum(AUTH_TYPES).optional(),
  /** `auth_type: oauth2` (client credentials): the token endpoint and the client it is asked as. */
  token_url: z
    .url({ protocol: /^https?$/, error: "expected an http(s) URL" })
    .max(2_048)
    .optional(),
  client_id: z.string().min(1).max(1_024).optional(),
  client_secret: z.string().min(1).max(4_096).optional(),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "expected an OAuth2 scope"))
    .max(100)
    .optional(),
};

/** An OAuth2 client-credentials grant: whose tokens the gateway asks for, and where. */
export interface OAuth2Client {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes?: readonly string[];
}

/** What is sealed: the secrets of a registration, never returned by any route. */
export interface UpstreamCredentials {
  readonly authValue?: string;
  readonly staticHeaders?: Readonly<Record<string, string>>;
  readonly oauth2?: OAuth2Client;
}

/** Whether a registration holds any secret. */
export const hasCredentials = (c: UpstreamCredentials): boolean =>
  c.authValue !== undefined || c.staticHeaders !== undefined || c.oauth2 !== undefined;

/**
 * The credentials a registration's body gives, checked: `auth_type: oauth2` needs `token_url`,
 * `client_id` and `client_secret` (and takes no `auth_value`); the OAuth2 fields go with it only.
 * Throws a message naming the field.
 */
export function credentialsOf(body: {
  auth_type?: AuthType;
  auth_value?: string;
  static_headers?: Record<string, string>;
  token_url?: string;
  client_id?: string;
  client_secret?: string;
  scopes?: string[];
}): UpstreamCredentials {
  const oauthFields = [body.token_url, body.client_id, body.client_secret, body.scopes];
  if (body.auth_type !== "oauth2") {
    if (oauthFields.some((f) => f !== undefined))
      throw new Error("auth_type: token_url, client_id, client_secret and scopes need auth_type oauth2");
    return { authValue: body.auth_value, staticHeaders: body.static_headers };
  }
  if (body.auth_value !== undefined) throw new Error("auth_value: auth_type oauth2 asks for its own tokens");
  for (const name of ["token_url", "client_id", "client_secret"] as const) {
    if (body[name] === undefined) throw new Error(`${name}: required with auth_type oauth2`);
  }
  return {
    staticHeaders: body.static_headers,
    oauth2: {
      tokenUrl: body.token_url as string,
      clientId: body.client_id as string,
      clientSecret: body.client_secret as string,
      scopes: body.scopes,
    },
  };
}

/** The headers every call to the upstream carries: its static headers, then its credential. */
export function authHeaders(authType: AuthType, credentials: UpstreamCredentials): Record<string, string> {
  const headers: Record<string, string> = { ...credentials.staticHeaders };
  const value = credentials.authValue;
  // OAuth2's bearer token is fetched per server and added by the caller (mcp/oauth2-tokens.ts).
  if (value === undefined || authType === "none" || authType === "oauth2") return headers;
  if (authType === "api_key") headers["x-api-key"] = value;
  else if (authType === "bearer_token") headers.authorization = `Bearer ${value}`;
  else if (authType === "basic") headers.authorization = `Basic ${btoa(value)}`;
  else headers.authorization = value;
  return headers;
}

export const isAuthType = (value: string): value is AuthType =>
  (AUTH_TYPES as readonly string[]).includes(value);
