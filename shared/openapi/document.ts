import { z } from "zod";
import { OPERATIONS, type Operation } from "./operations";

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12, which OpenAPI 3.1 speaks; what a request must look like on its way in. */
const toSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
  return rest;
};

const ERROR = {
  description: "An error, in OpenAI's shape",
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          error: {
            type: "object",
            properties: {
              message: { type: "string" },
              type: { type: "string" },
              param: { type: ["string", "null"] },
              code: { type: ["string", "null"] },
            },
            required: ["message", "type"],
          },
        },
        required: ["error"],
      },
    },
  },
};

const pathParameters = (path: string) =>
  [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));

const queryParameters = (schema: z.ZodType | undefined) => {
  if (schema === undefined) return [];
  const json = toSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    schema: property,
  }));
};

function operationObject(operation: Operation, id: string) {
  return {
    operationId: id,
    summary: operation.summary,
    tags: [operation.tag],
    ...(operation.access === "public" ? { security: [] } : {}),
    parameters: [...pathParameters(operation.path), ...queryParameters(operation.query)],
    ...(operation.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { "application/json": { schema: toSchema(operation.body) } },
          },
        }),
    responses: {
      "200": { description: "Success" },
      "400": ERROR,
      ...(operation.access === "public" ? {} : { "401": ERROR, "403": ERROR }),
    },
  };
}

const operationId = (method: string, path: string) =>
  `${method}_${path
    .replace(/[{}]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "")}`;

/** The gateway's OpenAPI 3.1 description, built from the route table and the routes' own zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    const served =
      operation.bothPrefixes === true ? [`/v1${operation.path}`, operation.path] : [operation.path];
    for (const path of served) {
      paths[path] ??= {};
      (paths[path] as Record<string, unknown>)[operation.method] = operationObject(
        operation,
        operationId(operation.method, path),
      );
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "RouteIQ gateway",
      // The description's own version: it changes when a route or schema does.
      version: "1.0.0",
      description:
        "An LLM gateway speaking OpenAI's and Anthropic's APIs and LiteLLM's management API. Send `Authorization: Bearer <key>` (or `x-api-key`).",
    },
    tags: [
      { name: "OpenAI", description: "OpenAI-compatible API" },
      { name: "Anthropic", description: "Anthropic's Messages API" },
      { name: "Management", description: "Keys, teams, users and spend (LiteLLM's management API)" },
      { name: "Models", description: "Models in the database (STORE_MODEL_IN_DB)" },
      { name: "Operations", description: "Health, metrics, status" },
    ],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The master key or a virtual key" },
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
