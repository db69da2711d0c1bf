import { describe, expect, it } from "vitest";
import { configSourceFromEnv, modelSourceFromEnv, parseS3Env } from "./s3-env";

describe("parseS3Env", () => {
  it("leaves S3 off when no bucket is set, blank counting as unset", () => {
    expect(parseS3Env({})).toEqual({ config: undefined, model: undefined });
    expect(parseS3Env({ CONFIG_S3_BUCKET: "", CONFIG_S3_KEY: "" })).toEqual({
      config: undefined,
      model: undefined,
    });
    expect(configSourceFromEnv({})).toBeUndefined();
    expect(modelSourceFromEnv({})).toBeUndefined();
  });

  it("uses AWS virtual-hosted style and us-east-1 without an endpoint override", () => {
    const { config, model } = parseS3Env({ CONFIG_S3_BUCKET: "cfg", CONFIG_S3_KEY: "gateway.yaml" });
    expect(config).toEqual({
      bucket: "cfg",
      key: "gateway.yaml",
      endpoint: undefined,
      forcePathStyle: false,
      region: "us-east-1",
      maxBytes: 1024 * 1024,
      maxBytesSetting: "CONFIG_S3_MAX_MB=1",
    });
    expect(model).toBeUndefined();
  });

  it("turns path style on with an endpoint override, preferring AWS_ENDPOINT_URL_S3", () => {
    const env = {
      LLMROUTER_MODEL_S3_BUCKET: "models",
      LLMROUTER_MODEL_S3_KEY: "router.pt",
      AWS_ENDPOINT_URL: "http://generic:9000",
      AWS_REGION: "eu-west-1",
    };
    expect(parseS3Env(env).model).toMatchObject({ endpoint: "http://generic:9000", forcePathStyle: true });
    expect(parseS3Env({ ...env, AWS_ENDPOINT_URL_S3: "http://minio:9000" }).model).toEqual({
      bucket: "models",
      key: "router.pt",
      endpoint: "http://minio:9000",
      forcePathStyle: true,
      region: "eu-west-1",
      maxBytes: 256 * 1024 * 1024,
      maxBytesSetting: "LLMROUTER_MODEL_S3_MAX_MB=256",
    });
  });

  it("caps each object's size, 1 MiB for the config and 256 MiB for a routing model unless set", () => {
    const env = {
      CONFIG_S3_BUCKET: "cfg",
      CONFIG_S3_KEY: "gateway.yaml",
      LLMROUTER_MODEL_S3_BUCKET: "models",
      LLMROUTER_MODEL_S3_KEY: "router.pt",
      CONFIG_S3_MAX_MB: "0.5",
      LLMROUTER_MODEL_S3_MAX_MB: "1024",
    };
    expect(parseS3Env(env).config?.maxBytes).toBe(512 * 1024);
    expect(parseS3Env(env).model?.maxBytes).toBe(1024 * 1024 * 1024);
    expect(() => parseS3Env({ ...env, CONFIG_S3_MAX_MB: "0" })).toThrow(/CONFIG_S3_MAX_MB/);
    expect(() => parseS3Env({ ...env, LLMROUTER_MODEL_S3_MAX_MB: "lots" })).toThrow(
      /LLMROUTER_MODEL_S3_MAX_MB/,
    );
  });

  it("lets AWS_S3_FORCE_PATH_STYLE set path style either way", () => {
    const location = { CONFIG_S3_BUCKET: "cfg", CONFIG_S3_KEY: "gateway.yaml" };
    expect(parseS3Env({ ...location, AWS_S3_FORCE_PATH_STYLE: "true" }).config?.forcePathStyle).toBe(true);
    const override = {
      ...location,
      AWS_ENDPOINT_URL: "https://s3.example.com",
      AWS_S3_FORCE_PATH_STYLE: "false",
    };
    expect(parseS3Env(override).config?.forcePathStyle).toBe(false);
  });

  it("builds sources that describe themselves as s3 URLs", () => {
    const env = {
      CONFIG_S3_BUCKET: "cfg",
      CONFIG_S3_KEY: "gateway.yaml",
      LLMROUTER_MODEL_S3_BUCKET: "models",
      LLMROUTER_MODEL_S3_KEY: "router.pt",
    };
    expect(configSourceFromEnv(env)?.describe()).toBe("s3://cfg/gateway.yaml");
    expect(modelSourceFromEnv(env)?.describe()).toBe("s3://models/router.pt");
  });

  it("refuses a bucket without its key, and a key without its bucket, naming both variables", () => {
    expect(() => configSourceFromEnv({ CONFIG_S3_BUCKET: "cfg" })).toThrow(
      /CONFIG_S3_KEY is required when CONFIG_S3_BUCKET is set/,
    );
    expect(() => modelSourceFromEnv({ LLMROUTER_MODEL_S3_KEY: "router.pt" })).toThrow(
      /LLMROUTER_MODEL_S3_BUCKET is required when LLMROUTER_MODEL_S3_KEY is set/,
    );
  });

  it("refuses values that are not URLs or switches, naming the variable", () => {
    expect(() => parseS3Env({ AWS_ENDPOINT_URL_S3: "not a url" })).toThrow(/AWS_ENDPOINT_URL_S3/);
    expect(() => parseS3Env({ AWS_S3_FORCE_PATH_STYLE: "yes please" })).toThrow(/AWS_S3_FORCE_PATH_STYLE/);
  });

  it("reads gs:// sources, and refuses a bad URI or two sources for one object", () => {
    expect(configSourceFromEnv({ CONFIG_GCS_URI: "gs://cfg/gateway.yaml" })?.describe()).toBe(
      "gs://cfg/gateway.yaml",
    );
    expect(modelSourceFromEnv({ LLMROUTER_MODEL_GCS_URI: "gs://models/router.json" })?.describe()).toBe(
      "gs://models/router.json",
    );
    expect(() => parseS3Env({ CONFIG_GCS_URI: "gs://bucket-only" })).toThrow(
      /CONFIG_GCS_URI: expected gs:\/\/bucket\/object/,
    );
    expect(() =>
      parseS3Env({ CONFIG_GCS_URI: "gs://cfg/a.yaml", CONFIG_S3_BUCKET: "cfg", CONFIG_S3_KEY: "a.yaml" }),
    ).toThrow(/CONFIG_GCS_URI and CONFIG_S3_BUCKET are both set/);
  });
});
