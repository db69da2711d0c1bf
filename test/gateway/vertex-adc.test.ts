import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type GoogleUpstream, startGoogleUpstream } from "../support/google-upstream";

/**
 * Vertex AI with no `vertex_credentials`: Application Default Credentials, as on GKE with workload
 * identity or on Compute Engine, where Google's auth library asks the metadata server for the
 * token and the project. The metadata server here is a loopback one (GCE_METADATA_HOST, which the
 * library reads), and no gcloud or GOOGLE_APPLICATION_CREDENTIALS file is in the way. Each test
 * file runs in its own process, so the variables set here reach no other file.
 */

const TOKEN = "ya29.workload-identity-token";
let metadata: Server;
const metadataRequests: { path: string; flavor: string | undefined }[] = [];
let tokenFails = false;
let google: GoogleUpstream;
let gateway: Awaited<ReturnType<typeof startGateway>>;
/** The gateway's own Google credentials go only to googleapis.com or a host the operator lists. */
const ALLOW_LOOPBACK = { ROUTEIQ_OUTBOUND_ALLOWLIST: "127.0.0.1" };
let openai: OpenAI;

function startMetadataServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    const flavor = req.headers["metadata-flavor"] as string | undefined;
    metadataRequests.push({ path, flavor });
    // The real server refuses requests without the header; the library must send it.
    if (flavor !== "Google") {
      res.writeHead(403).end();
      return;
    }
    const send = (status: number, type: string, body: string) =>
      res.writeHead(status, { "metadata-flavor": "Google", "content-type": type }).end(body);
    if (path.startsWith("/computeMetadata/v1/instance/service-accounts/default/token")) {
      if (tokenFails) send(403, "text/plain", "metadata server refused: no identity bound");
      else
        send(
          200,
          "application/json",
          JSON.stringify({ access_token: TOKEN, expires_in: 3599, token_type: "Bearer" }),
        );
    } else if (path.startsWith("/computeMetadata/v1/project/project-id")) {
      send(200, "text/plain", "wi-project");
    } else if (path.startsWith("/computeMetadata/v1/universe/universe-domain")) {
      send(200, "text/plain", "googleapis.com");
    } else {
      send(200, "application/json", "{}");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  metadata = await startMetadataServer();
  process.env.GCE_METADATA_HOST = `127.0.0.1:${(metadata.address() as AddressInfo).port}`;
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  // gcloud's own credentials file would come before the metadata server: an empty config dir.
  process.env.CLOUDSDK_CONFIG = mkdtempSync(join(tmpdir(), "routeiq-gcloud-"));
  google = await startGoogleUpstream({ apiKey: "unused-gemini-key" });
  gateway = await startGateway(
    {
      model_list: [
        {
          model_name: "vertex-adc",
          litellm_params: {
            model: "vertex_ai/gemini-2.5-flash",
            api_base: google.url,
            vertex_location: "us-central1",
          },
        },
      ],
      router_settings: { num_retries: 0 },
    },
    ALLOW_LOOPBACK,
  );
  openai = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await gateway?.shutdown();
  await google?.close();
  await new Promise((resolve) => metadata?.close(resolve));
});

describe("vertex_ai/ with Application Default Credentials", () => {
  it("calls Vertex with the metadata server's token, in the project the metadata server names", async () => {
    const completion = await openai.chat.completions.create({
      model: "vertex-adc",
      messages: [{ role: "user", content: "hello" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from google");
    const request = google.requests.at(-1);
    expect(request?.path).toBe(
      "/v1/projects/wi-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
    );
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(metadataRequests.some((r) => r.path.includes("/service-accounts/default/token"))).toBe(true);
    expect(metadataRequests.every((r) => r.flavor === "Google")).toBe(true);
  });

  it("answers a token the metadata server cannot give as the deployment's failure, naming the model and not the cause's text", async () => {
    tokenFails = true;
    // The library keeps a token until it is about to expire: a fresh gateway asks again.
    const fresh = await startGateway(
      {
        model_list: [
          {
            model_name: "vertex-adc",
            litellm_params: {
              model: "vertex_ai/gemini-2.5-flash",
              api_base: google.url,
              vertex_project: "p",
              vertex_location: "us-central1",
            },
          },
        ],
        router_settings: { num_retries: 0 },
      },
      ALLOW_LOOPBACK,
    );
    try {
      const before = google.requests.length;
      const response = await fetch(`${fresh.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "vertex-adc", messages: [{ role: "user", content: "hi" }] }),
      });
      const text = await response.text();
      expect(response.status).toBe(502);
      expect(text).toContain("could not obtain Google credentials");
      expect(text).not.toContain("no identity bound");
      expect(google.requests.length).toBe(before);
    } finally {
      tokenFails = false;
      await fresh.shutdown();
    }
  });
});
