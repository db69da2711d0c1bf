import { describe, expect, it } from "vitest";
import { OAuth2Tokens } from "./oauth2-tokens";

const client = {
  tokenUrl: "https://auth.example/token",
  clientId: "gw",
  clientSecret: "s3cret",
  scopes: ["a", "b"],
};

/** A token endpoint answering `answers` in turn, recording the forms it was sent. */
function endpoint(answers: (() => Response)[]) {
  const forms: string[] = [];
  const fetchImpl = (async (_url: string, init: RequestInit) => {
    forms.push(String(init.body));
    const next = answers.shift();
    if (next === undefined) throw new Error("no more answers");
    return next();
  }) as typeof fetch;
  return { forms, fetchImpl };
}

const token = (value: string, expiresIn?: number) => () =>
  Response.json({ access_token: value, token_type: "Bearer", expires_in: expiresIn });

describe("OAuth2Tokens", () => {
  it("asks once with the client-credentials grant and reuses the token until shortly before it expires", async () => {
    let now = 0;
    const { forms, fetchImpl } = endpoint([token("one", 600), token("two", 600)]);
    const tokens = new OAuth2Tokens(fetchImpl, () => now);
    expect(await Promise.all([tokens.token(client), tokens.token(client)])).toEqual(["one", "one"]);
    now = 560_000;
    expect(await tokens.token(client)).toBe("one");
    now = 571_000; // within 30 s of expiry
    expect(await tokens.token(client)).toBe("two");
    expect(forms).toHaveLength(2);
    expect(Object.fromEntries(new URLSearchParams(forms[0]))).toEqual({
      grant_type: "client_credentials",
      client_id: "gw",
      client_secret: "s3cret",
      scope: "a b",
    });
  });

  it("asks again after a token is dropped (a 401 upstream) or a request failed", async () => {
    const { fetchImpl } = endpoint([
      () => new Response("no", { status: 500 }),
      token("fresh"),
      token("after-401"),
    ]);
    const tokens = new OAuth2Tokens(fetchImpl);
    await expect(tokens.token(client)).rejects.toThrow(
      "the OAuth2 token endpoint at https://auth.example answered 500",
    );
    expect(await tokens.token(client)).toBe("fresh");
    tokens.invalidate(client);
    expect(await tokens.token(client)).toBe("after-401");
  });

  it("refuses an answer without a token fit for a header", async () => {
    const { fetchImpl } = endpoint([
      token("line\r\nbreak"),
      () => Response.json({ error: "invalid_client" }),
    ]);
    const tokens = new OAuth2Tokens(fetchImpl);
    await expect(tokens.token(client)).rejects.toThrow(/without an access_token/);
    await expect(tokens.token(client)).rejects.toThrow(/without an access_token/);
  });

  it("gives up on an endpoint that stalls in its answer's body, and asks again on the next call", async () => {
    // Headers sent, then nothing: without a bound every call of the replica awaited this one token.
    const stalled = () =>
      new Response(new ReadableStream({ pull: () => new Promise<void>(() => {}) }), {
        headers: { "content-type": "application/json" },
      });
    const { forms, fetchImpl } = endpoint([stalled, token("fresh")]);
    const tokens = new OAuth2Tokens(fetchImpl, Date.now, 50);
    await expect(tokens.token(client)).rejects.toThrow(
      "the OAuth2 token endpoint at https://auth.example gave no token within 50 ms",
    );
    expect(await tokens.token(client)).toBe("fresh");
    expect(forms).toHaveLength(2);
  });
});
