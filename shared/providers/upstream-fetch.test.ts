import { describe, expect, it } from "vitest";
import { UpstreamError } from "../errors";
import { postUpstream } from "./upstream-fetch";

/** A fetch that answers once with `response` and records what it was asked. */
function fetchAnswering(response: Response) {
  const inits: RequestInit[] = [];
  const fetch = (async (_input: RequestInfo | URL, init: RequestInit = {}) => {
    inits.push(init);
    return response;
  }) as typeof globalThis.fetch;
  return { fetch, inits };
}

const call = (fetch: typeof globalThis.fetch) =>
  postUpstream(
    "https://upstream.example/v1/chat/completions",
    { "api-key": "k" },
    "{}",
    { fetch, signal: new AbortController().signal },
    "azure",
  ).catch((error: unknown) => error);

describe("postUpstream: redirects", () => {
  it("asks the runtime's fetch not to follow redirects", async () => {
    const { fetch, inits } = fetchAnswering(new Response("{}", { status: 200 }));
    await call(fetch);
    expect(inits[0]?.redirect).toBe("manual");
  });

  it.each([301, 302, 303, 307, 308])(
    "turns a %i into an upstream failure without its body",
    async (status) => {
      const response = new Response("internal data", { status, headers: { location: "http://10.0.0.1/" } });
      const error = await call(fetchAnswering(response).fetch);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ kind: "http", status, retryable: false });
      expect((error as UpstreamError).message).toBe(
        `azure answered with a redirect (${status}); upstream redirects are not followed`,
      );
    },
  );

  it("treats the opaque answer some runtimes give for a manual redirect the same way", async () => {
    const opaque = { type: "opaqueredirect", status: 0, ok: false, body: null, headers: new Headers() };
    const error = await call(fetchAnswering(opaque as unknown as Response).fetch);
    expect(error).toMatchObject({ kind: "http", status: 0, retryable: false });
    expect((error as UpstreamError).message).toMatch(/^azure answered with a redirect \(0\)/);
  });
});
