import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../../shared/config/env-schema";
import type { ObjectSource } from "../../shared/sync/object-source";
import { type S3SourceOptions, s3Source } from "../../shared/sync/s3-source";
import { gcsSource, parseGsUri } from "./gcs-source";

const PAIRS = [
  ["CONFIG_S3_BUCKET", "CONFIG_S3_KEY"],
  ["LLMROUTER_MODEL_S3_BUCKET", "LLMROUTER_MODEL_S3_KEY"],
] as const;

const gsUri = z
  .string()
  .refine((uri) => parseGsUri(uri) !== undefined, { message: "expected gs://bucket/object" });

/** The S3 (or GCS) sync environment (docs: high-availability.md, operator-parity.md). */
export const s3EnvSchema = z
  .object({
    CONFIG_S3_BUCKET: unsetIfBlank(z.string()),
    CONFIG_S3_KEY: unsetIfBlank(z.string()),
    LLMROUTER_MODEL_S3_BUCKET: unsetIfBlank(z.string()),
    LLMROUTER_MODEL_S3_KEY: unsetIfBlank(z.string()),
    AWS_ENDPOINT_URL_S3: unsetIfBlank(z.url()),
    AWS_ENDPOINT_URL: unsetIfBlank(z.url()),
    AWS_S3_FORCE_PATH_STYLE: unsetIfBlank(z.stringbool({ truthy: ["true", "1"], falsy: ["false", "0"] })),
    AWS_REGION: unsetIfBlank(z.string()).transform((v) => v ?? "us-east-1"),
    // Objects are read into memory whole: a size cap keeps a wrong or hostile object from taking
    // the process down. A config is a few KB; a routing model may be large.
    CONFIG_S3_MAX_MB: unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? 1),
    LLMROUTER_MODEL_S3_MAX_MB: unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? 256),
    // The same sources on Google Cloud Storage (`gs://bucket/object`), read with application default credentials.
    CONFIG_GCS_URI: unsetIfBlank(gsUri),
    LLMROUTER_MODEL_GCS_URI: unsetIfBlank(gsUri),
    STORAGE_EMULATOR_HOST: unsetIfBlank(z.url()),
  })
  .superRefine((env, ctx) => {
    // Half a location is a typo, not "S3 off": silently reading a local file instead would hide it.
    for (const [bucket, key] of PAIRS) {
      if (env[bucket] !== undefined && env[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} is required when ${bucket} is set` });
      }
      if (env[key] !== undefined && env[bucket] === undefined) {
        ctx.addIssue({ code: "custom", path: [bucket], message: `${bucket} is required when ${key} is set` });
      }
    }
    // One source per object: two would leave which one wins to the reader.
    for (const [gcs, bucket] of [
      ["CONFIG_GCS_URI", "CONFIG_S3_BUCKET"],
      ["LLMROUTER_MODEL_GCS_URI", "LLMROUTER_MODEL_S3_BUCKET"],
    ] as const) {
      if (env[gcs] !== undefined && env[bucket] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [gcs],
          message: `${gcs} and ${bucket} are both set; choose one source`,
        });
      }
    }
  });

const MIB = 1024 * 1024;

type Env = Readonly<Record<string, string | undefined>>;

export interface S3Env {
  readonly config: S3SourceOptions | undefined;
  readonly model: S3SourceOptions | undefined;
  readonly configGcs: ObjectSource | undefined;
  readonly modelGcs: ObjectSource | undefined;
}

/** Reads where config and routing model live; a bad value throws an error naming the variable(s). */
export function parseS3Env(env: Env): S3Env {
  const parsed = parseEnvWith(s3EnvSchema, env, "invalid S3 sync environment");
  const endpoint = parsed.AWS_ENDPOINT_URL_S3 ?? parsed.AWS_ENDPOINT_URL;
  const client = {
    endpoint,
    // MinIO and s3rver have no per-bucket DNS names, so an endpoint override implies path style.
    forcePathStyle: parsed.AWS_S3_FORCE_PATH_STYLE ?? endpoint !== undefined,
    region: parsed.AWS_REGION,
  };
  const at = (bucket: string | undefined, key: string | undefined, maxMb: number, setting: string) =>
    bucket !== undefined && key !== undefined
      ? { bucket, key, ...client, maxBytes: Math.floor(maxMb * MIB), maxBytesSetting: `${setting}=${maxMb}` }
      : undefined;
  const gcs = (uri: string | undefined, maxMb: number, setting: string) =>
    uri === undefined
      ? undefined
      : gcsSource({
          uri,
          maxBytes: Math.floor(maxMb * MIB),
          maxBytesSetting: `${setting}=${maxMb}`,
          apiEndpoint: parsed.STORAGE_EMULATOR_HOST,
        });
  return {
    configGcs: gcs(parsed.CONFIG_GCS_URI, parsed.CONFIG_S3_MAX_MB, "CONFIG_S3_MAX_MB"),
    modelGcs: gcs(
      parsed.LLMROUTER_MODEL_GCS_URI,
      parsed.LLMROUTER_MODEL_S3_MAX_MB,
      "LLMROUTER_MODEL_S3_MAX_MB",
    ),
    config: at(parsed.CONFIG_S3_BUCKET, parsed.CONFIG_S3_KEY, parsed.CONFIG_S3_MAX_MB, "CONFIG_S3_MAX_MB"),
    model: at(
      parsed.LLMROUTER_MODEL_S3_BUCKET,
      parsed.LLMROUTER_MODEL_S3_KEY,
      parsed.LLMROUTER_MODEL_S3_MAX_MB,
      "LLMROUTER_MODEL_S3_MAX_MB",
    ),
  };
}

/** The config file's S3 source, or undefined when CONFIG_S3_BUCKET is unset (the local file is used). */
export function configSourceFromEnv(env: Env): ObjectSource | undefined {
  const parsed = parseS3Env(env);
  return parsed.configGcs ?? (parsed.config && s3Source(parsed.config));
}

/** The routing model's S3 source, or undefined when LLMROUTER_MODEL_S3_BUCKET is unset. */
export function modelSourceFromEnv(env: Env): ObjectSource | undefined {
  const parsed = parseS3Env(env);
  return parsed.modelGcs ?? (parsed.model && s3Source(parsed.model));
}
