/**
 * The AWS SDK for JavaScript v3 warns, once per process, that its releases after the first week of
 * January 2027 need Node >= 22. ha:local runs four processes holding an S3 client (itself, two
 * gateways, the sync worker), so on an older Node the runner says it once and turns the SDK's own
 * warning off through the SDK's variable for that.
 */
export const SDK_NODE_MAJOR = 22;
export const SDK_WARNING_OFF = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

export interface NodeVersionNotice {
  readonly message: string;
  /** For the runner's own environment and its children's. */
  readonly env: Readonly<Record<string, string>>;
}

/** The notice for `version` (`process.version`), or undefined when there is nothing to say. */
export function nodeVersionNotice(
  version: string,
  env: Readonly<Record<string, string | undefined>>,
): NodeVersionNotice | undefined {
  // Someone who turned the SDK's warning off asked for silence.
  if (env[SDK_WARNING_OFF] === "true") return undefined;
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!(major < SDK_NODE_MAJOR)) return undefined;
  return {
    message: `Node ${version} runs RouteIQ, but the AWS SDK's releases after January 2027 need Node >= ${SDK_NODE_MAJOR} (the Docker image runs Node 24); its own warning is off for this run's processes`,
    env: { [SDK_WARNING_OFF]: "true" },
  };
}
