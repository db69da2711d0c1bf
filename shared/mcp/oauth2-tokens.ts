import type { OAuth2Client } from "../registered-upstreams/auth";

/** A token is renewed this long before the endpoint said it expires. */
const RENEW_EARLY_MS = 30_000;
/** How long a token whose answer gave no `expires_in` is used. */
const DEFAULT_LIFETIME_MS = 300_000;
/** How long a token request may take, its answer's body included, unless the owner says otherwise. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** An access token goes into a header: printable ASCII, bounded. */
const TOKEN = /^[\x21-\x7e]{1,8192}$/;

interface Cached {
  readonly token: Promise<string>;
  expiresAt: number;
}

/**
 * Bearer tokens for upstreams registered with `auth_type: oauth2`: an OAuth2 client-credentials
 * grant (RFC 6749 §4.4, the client authenticated in the form body) asked of the token endpoint
 * through the same guarded, bounded fetch as every registered URL, and reused by every call of
 * this replica until shortly before it expires. A 401 from the upstream drops it. A request that
 * takes longer than `timeoutMs` (an endpoint that sends its headers and stalls in its body) fails,
 * so it is asked again on the next call rather than every call of the replica awaiting it forever.
 */
export class OAuth2Tokens {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #cache = new Map<string, Cached>();

  constructor(fetchImpl: typeof fetch, now: () => number = Date.now, timeoutMs = DEFAULT_TIMEOUT_MS) {
    this.#fetch = fetchImpl;
    this.#now = now;
    this.#timeoutMs = timeoutMs;
  }

  token(client: OAuth2Client): Promise<string> {
    const key = JSON.stringify(client);
    const cached = this.#cache.get(key);
    if (cached !== undefined && this.#now() < cached.expiresAt) return cached.token;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    const timedOut = new Promise<never>((_, reject) =>
      signal.addEventListener(
        "abort",
        () =>
          reject(
            new Error(
              `the OAuth2 token endpoint at ${new URL(client.tokenUrl).origin} gave no token within ${this.#timeoutMs} ms`,
            ),
          ),
        { once: true },
      ),
    );
    const entry: Cached = {
      token: Promise.race([this.#request(client, signal, (at) => (entry.expiresAt = at)), timedOut]),
      expiresAt: Infinity,
    };
    this.#cache.set(key, entry);
    entry.token.catch(() => {
      if (this.#cache.get(key) === entry) this.#cache.delete(key);
    });
    return entry.token;
  }

  invalidate(client: OAuth2Client): void {
    this.#cache.delete(JSON.stringify(client));
  }

  async #request(
    client: OAuth2Client,
    signal: AbortSignal,
    expiresAt: (at: number) => void,
  ): Promise<string> {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    if (client.scopes !== undefined && client.scopes.length > 0) form.set("scope", client.scopes.join(" "));
    const origin = new URL(client.tokenUrl).origin;
    const response = await this.#fetch(client.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the OAuth2 token endpoint at ${origin} answered ${response.status}`);
    }
    const answer = (await response.json().catch(() => ({}))) as {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof answer.access_token !== "string" || !TOKEN.test(answer.access_token)) {
      throw new Error(`the OAuth2 token endpoint at ${origin} answered without an access_token`);
    }
    const lifetime =
      typeof answer.expires_in === "number" && answer.expires_in > 0
        ? answer.expires_in * 1000
        : DEFAULT_LIFETIME_MS;
    expiresAt(this.#now() + Math.max(0, lifetime - Math.min(RENEW_EARLY_MS, lifetime / 10)));
    return answer.access_token;
  }
}
