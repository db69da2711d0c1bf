/** What the management API answered with when it refused: its OpenAI-shaped error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Called when the session is gone (expired, signed out elsewhere, master key changed). */
let onSignedOut: (message: string) => void = () => {};
export const whenSignedOut = (handler: (message: string) => void): void => {
  onSignedOut = handler;
};

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return new ApiError(response.status, body?.error?.message ?? `${response.status} ${response.statusText}`);
}

/**
 * Calls the management API through the console's session (`/ui/api/<path>`); the cookie goes
 * along by itself, the master key never passes through this code after sign-in.
 */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`/ui/api${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: "same-origin",
  });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) onSignedOut(error.message);
    throw error;
  }
  return (await response.json()) as T;
}

export async function signIn(masterKey: string): Promise<void> {
  const response = await fetch("/ui/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ master_key: masterKey }),
    credentials: "same-origin",
  });
  if (!response.ok) throw await errorOf(response);
}

export async function signedIn(): Promise<boolean> {
  return (await fetch("/ui/session", { credentials: "same-origin" })).ok;
}

export async function signOut(): Promise<void> {
  await fetch("/ui/session", { method: "DELETE", credentials: "same-origin" });
}

/** `?a=1&b=2` from the fields that are set. */
export const query = (fields: Record<string, string | number | undefined>): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined && value !== "") params.set(name, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
};

/** The answer whatever its status (a readiness probe answers 503 with a body worth showing). */
export async function apiAnswer<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`/ui/api${path}`, { credentials: "same-origin" });
  if (response.status === 401) {
    const error = await errorOf(response);
    onSignedOut(error.message);
    throw error;
  }
  return { status: response.status, body: (await response.json()) as T };
}
