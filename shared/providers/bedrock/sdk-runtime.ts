import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { fromIni, fromTemporaryCredentials, fromWebToken } from "@aws-sdk/credential-providers";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Deployment } from "../../config/deployment";
import { UpstreamError } from "../../errors";
import { bedrockLookup } from "./connections";
import type { BedrockRuntime } from "./runtime";

type Credentials = BedrockRuntimeClientConfig["credentials"];

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * LiteLLM's aws_* settings as AWS SDK credentials, in LiteLLM's order: a web identity token with
 * a role, a role assumed (from the keys given, the profile, or the default chain), static keys,
 * a profile; none of them: the default chain (the Lambda's or task's role).
 */
function credentialsOf(p: Readonly<Record<string, unknown>>, region: string | undefined): Credentials {
  const roleArn = text(p.aws_role_name);
  const sessionName = text(p.aws_session_name) ?? "routeiq-bedrock";
  const keyId = text(p.aws_access_key_id);
  const secret = text(p.aws_secret_access_key);
  const profile = text(p.aws_profile_name);
  const token = text(p.aws_web_identity_token);
  const keys =
    keyId !== undefined && secret !== undefined
      ? { accessKeyId: keyId, secretAccessKey: secret, sessionToken: text(p.aws_session_token) }
      : undefined;
  if (roleArn !== undefined && token !== undefined)
    return fromWebToken({ roleArn, webIdentityToken: token, roleSessionName: sessionName });
  if (roleArn !== undefined)
    return fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: sessionName, ExternalId: text(p.aws_external_id) },
      masterCredentials: keys ?? (profile === undefined ? undefined : fromIni({ profile })),
      clientConfig: region === undefined ? undefined : { region },
    });
  if (keys !== undefined) return keys;
  if (profile !== undefined) return fromIni({ profile });
  return undefined;
}

/**
 * The AWS SDK behind the BedrockRuntime port: Converse and ConverseStream, InvokeModel and
 * InvokeModelWithResponseStream, SigV4 or a Bedrock API key (`api_key`), over HTTP/1.1.
 * The SDK retries nothing (maxAttempts 1): the router decides what is retried, where and when.
 */
export function sdkRuntime(d: Deployment): BedrockRuntime {
  const region = text(d.params.aws_region_name);
  const lookup = bedrockLookup();
  const client = new BedrockRuntimeClient({
    region,
    endpoint: d.apiBase,
    maxAttempts: 1,
    requestHandler:
      lookup === undefined
        ? new NodeHttpHandler()
        : new NodeHttpHandler({
            httpAgent: new HttpAgent({ keepAlive: true, lookup }),
            httpsAgent: new HttpsAgent({ keepAlive: true, lookup }),
          }),
    ...(d.apiKey === undefined
      ? { credentials: credentialsOf(d.params, region) }
      : { token: { token: d.apiKey }, authSchemePreference: ["httpBearerAuth"] }),
  });
  const headers = d.extraHeaders;
  if (Object.keys(headers).length > 0) {
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers !== undefined) Object.assign(request.headers, headers);
        return next(args);
      },
      { step: "build", name: "routeiqExtraHeaders" },
    );
  }
  return {
    converse: (input, { signal }) =>
      client.send(new ConverseCommand(input as unknown as ConverseCommandInput), { abortSignal: signal }),
    async converseStream(input, { signal }) {
      const output = await client.send(
        new ConverseStreamCommand(input as unknown as ConverseStreamCommandInput),
        { abortSignal: signal },
      );
      if (output.stream === undefined)
        throw new UpstreamError("network", 502, "bedrock: stream response had no body");
      return output.stream;
    },
    async invoke(modelId, body, { signal }) {
      const output = await client.send(
        new InvokeModelCommand({
          modelId,
          body,
          contentType: "application/json",
          accept: "application/json",
        }),
        { abortSignal: signal },
      );
      return { body: new TextDecoder().decode(output.body), requestId: output.$metadata.requestId };
    },
    async invokeStream(modelId, body, { signal }) {
      const output = await client.send(
        new InvokeModelWithResponseStreamCommand({ modelId, body, contentType: "application/json" }),
        { abortSignal: signal },
      );
      const stream = output.body;
      if (stream === undefined)
        throw new UpstreamError("network", 502, "bedrock: stream response had no body");
      return (async function* events() {
        const decoder = new TextDecoder();
        for await (const event of stream) {
          // Modelled exceptions arrive as members of the union; they fail the stream as thrown errors do.
          const failure = Object.entries(event).find(
            ([key, value]) => key !== "chunk" && value !== undefined,
          );
          if (failure !== undefined) throw Object.assign(failure[1] as object, { name: failure[0] });
          if (event.chunk?.bytes !== undefined) yield decoder.decode(event.chunk.bytes);
        }
      })();
    },
  };
}
