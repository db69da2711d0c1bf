import type { Deployment } from "../../config/deployment";

/** One call's transport options. */
export interface CallOptions {
  readonly signal: AbortSignal;
}

/** An InvokeModel answer: the model's own JSON, and the request id Bedrock gave it. */
export interface InvokeAnswer {
  readonly body: string;
  readonly requestId: string | undefined;
}

/**
 * Bedrock Runtime as the provider uses it, the port behind which the AWS SDK sits (SigV4, the
 * binary event stream, credentials). Inputs and outputs are Bedrock's own JSON shapes; streams
 * yield the SDK's decoded events. Errors are the SDK's, mapped by `errors.ts`.
 */
export interface BedrockRuntime {
  converse(input: Record<string, unknown>, options: CallOptions): Promise<unknown>;
  converseStream(input: Record<string, unknown>, options: CallOptions): Promise<AsyncIterable<unknown>>;
  invoke(modelId: string, body: string, options: CallOptions): Promise<InvokeAnswer>;
  /** Each item is one Anthropic stream event's JSON text. */
  invokeStream(modelId: string, body: string, options: CallOptions): Promise<AsyncIterable<string>>;
}

// One client per deployment object: it holds credentials and connections, and a config reload
// makes new deployments, so the old clients go with the old config.
const clients = new WeakMap<Deployment, Promise<BedrockRuntime>>();

/**
 * The deployment's Bedrock client, the AWS SDK loaded on first use: a gateway serving no Bedrock
 * deployment never loads it, and the edge bundle swaps `./sdk-runtime` for a module that says
 * the edge does not serve Bedrock.
 */
export function bedrockRuntime(d: Deployment): Promise<BedrockRuntime> {
  let client = clients.get(d);
  if (client === undefined) {
    client = import("./sdk-runtime").then((m) => m.sdkRuntime(d));
    // A failed load is not kept: the next request tries again.
    client.catch(() => clients.delete(d));
    clients.set(d, client);
  }
  return client;
}
