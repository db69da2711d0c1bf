import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type BedrockUpstream, startBedrockUpstream } from "../support/bedrock-upstream";
import { MASTER_KEY, startGateway } from "../support/gateway";

/**
 * `bedrock/` with no aws_* settings, as the CDK stacks deploy it: the AWS SDK's default credential
 * chain and the process's region. On Fargate the task role's keys come from the container
 * credentials endpoint (here a loopback one, through AWS_CONTAINER_CREDENTIALS_FULL_URI); on
 * Lambda the execution role's keys are in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN. No shared credentials file is read. Each test file runs in its own process.
 */

const TASK_ROLE = {
  AccessKeyId: "ASIATASKROLEEXAMPLE",
  SecretAccessKey: "task-role-secret",
  Token: "task-role-session-token",
  Expiration: new Date(Date.now() + 3_600_000).toISOString(),
};
const CONTAINER_TOKEN = "container-authorization-token";

let bedrock: BedrockUpstream;
let credentials: Server;
const credentialRequests: (string | undefined)[] = [];

const model = (endpoint: string) => ({
  model_list: [
    {
      model_name: "nova",
      litellm_params: { model: "bedrock/amazon.nova-pro-v1:0", aws_bedrock_runtime_endpoint: endpoint },
    },
  ],
  router_settings: { num_retries: 0 },
});

async function askThrough(gateway: Awaited<ReturnType<typeof startGateway>>): Promise<string | null> {
  const openai = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const completion = await openai.chat.completions.create({
    model: "nova",
    messages: [{ role: "user", content: "hello" }],
  });
  return completion.choices[0]?.message.content ?? null;
}

beforeAll(async () => {
  bedrock = await startBedrockUpstream();
  credentials = createServer((req, res) => {
    credentialRequests.push(req.headers.authorization);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(TASK_ROLE));
  });
  await new Promise<void>((resolve) => credentials.listen(0, "127.0.0.1", resolve));
  // Nothing of the machine's own AWS setup may answer before the chain reaches what is tested.
  for (const name of [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  ])
    vi.stubEnv(name, undefined);
  vi.stubEnv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/routeiq-aws-credentials");
  vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/routeiq-aws-config");
  vi.stubEnv("AWS_EC2_METADATA_DISABLED", "true");
  vi.stubEnv("AWS_REGION", "eu-central-1");
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await bedrock?.close();
  await new Promise((resolve) => credentials?.close(resolve));
});

describe("bedrock/ on the default credential chain", () => {
  it("signs with the Fargate task role from the container credentials endpoint, in the process's region", async () => {
    vi.stubEnv(
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      `http://127.0.0.1:${(credentials.address() as AddressInfo).port}/v2/credentials/task`,
    );
    vi.stubEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN);
    const gateway = await startGateway(model(bedrock.url));
    try {
      expect(await askThrough(gateway)).toBe("Hello from bedrock");
      const request = bedrock.requests.at(-1);
      expect(request?.headers.authorization).toMatch(
        /Credential=ASIATASKROLEEXAMPLE\/\d{8}\/eu-central-1\/bedrock\/aws4_request/,
      );
      expect(request?.headers["x-amz-security-token"]).toBe(TASK_ROLE.Token);
      expect(credentialRequests).toContain(CONTAINER_TOKEN);
    } finally {
      await gateway.shutdown();
      vi.stubEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", undefined);
      vi.stubEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", undefined);
    }
  });

  it("signs with the Lambda execution role's keys from the environment", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", "ASIALAMBDAROLEEXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "lambda-role-secret");
    vi.stubEnv("AWS_SESSION_TOKEN", "lambda-session-token");
    const gateway = await startGateway(model(bedrock.url));
    try {
      expect(await askThrough(gateway)).toBe("Hello from bedrock");
      const request = bedrock.requests.at(-1);
      expect(request?.headers.authorization).toMatch(
        /Credential=ASIALAMBDAROLEEXAMPLE\/\d{8}\/eu-central-1\/bedrock\/aws4_request/,
      );
      expect(request?.headers["x-amz-security-token"]).toBe("lambda-session-token");
    } finally {
      await gateway.shutdown();
    }
  });
});
