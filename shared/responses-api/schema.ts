import { z } from "zod";
import { badRequest } from "../errors";
import { validate } from "../http/parse-body";
import { missingIsRequired } from "../validation/describe-issues";

/*
 * The Responses API request, as far as the gateway reads it. Objects are loose: fields the gateway
 * does not use pass through to upstreams that speak the Responses API, and are ignored when the
 * request is translated to chat completions.
 */

const inputText = z.looseObject({ type: z.literal("input_text"), text: z.string() });
const inputImage = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.string().optional(),
});
const inputFile = z.looseObject({
  type: z.literal("input_file"),
  file_data: z.string().optional(),
  file_id: z.string().nullish(),
  file_url: z.string().optional(),
  filename: z.string().optional(),
});
// Assistant turns sent back as input carry what the model wrote.
const outputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const refusal = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

const contentPart = z.discriminatedUnion("type", [inputText, inputImage, inputFile, outputText, refusal], {
  error: 'expected content part type "input_text", "input_image", "input_file", "output_text" or "refusal"',
});

const message = z.looseObject({
  type: z.literal("message"),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)], {
    error: "expected string or array of content parts",
  }),
});

const functionCall = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});

const functionCallOutput = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPart)], {
    error: "expected string or array of content parts",
  }),
});

/** Item types the gateway understands; any other type is kept for upstreams that speak it. */
const KNOWN_ITEMS: Readonly<Record<string, z.ZodType>> = Object.freeze({
  message,
  function_call: functionCall,
  function_call_output: functionCallOutput,
});

/** A message may leave out `type` (OpenAI's "easy input message"). */
const withMessageType = (value: unknown): unknown =>
  value !== null && typeof value === "object" && !("type" in value) && "role" in value
    ? { ...value, type: "message" }
    : value;

const inputItem = z.preprocess(
  withMessageType,
  z
    .looseObject({ type: z.string({ error: 'expected an item with a "type" or a "role"' }) })
    .superRefine((item, ctx) => {
      const schema = KNOWN_ITEMS[item.type];
      if (schema === undefined) return;
      for (const issue of schema.safeParse(item, { error: missingIsRequired }).error?.issues ?? []) {
        ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
      }
    }),
);

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const tool = z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
  if (value.type !== "function") return;
  for (const issue of functionTool.safeParse(value, { error: missingIsRequired }).error?.issues ?? []) {
    ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  }
});

const toolChoice = z.union(
  [
    z.enum(["none", "auto", "required"]),
    z.looseObject({ type: z.literal("function"), name: z.string().min(1) }),
    z.looseObject({ type: z.string() }),
  ],
  { error: 'expected "none", "auto", "required" or a tool choice object' },
);

const textFormat = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({
      type: z.literal("json_schema"),
      name: z.string().min(1),
      schema: z.record(z.string(), z.unknown()),
      description: z.string().optional(),
      strict: z.boolean().nullish(),
    }),
  ],
  { error: 'expected text.format type "text", "json_object" or "json_schema"' },
);

/** OpenAI's own bounds on metadata: 16 pairs, keys up to 64 characters, values up to 512. */
const metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((value) => Object.keys(value).length <= 16, { message: "expected at most 16 key-value pairs" });

/** Response ids the gateway hands out; anything else names no response (and never reaches a key name). */
export const RESPONSE_ID = /^resp_[A-Za-z0-9]{1,64}$/;

/** Input items per request: far above any real conversation turn, a bound on work per request. */
const MAX_INPUT_ITEMS = 10_000;

export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItem).max(MAX_INPUT_ITEMS)], {
    error: "expected string or array of input items",
  }),
  instructions: z.string().nullish(),
  tools: z.array(tool).max(512).nullish(),
  tool_choice: toolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.looseObject({ format: textFormat.optional() }).nullish(),
  max_output_tokens: z.int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  metadata: metadata.nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  stream: z.boolean().nullish(),
  user: z.string().optional(),
  reasoning: z.looseObject({ effort: z.string().nullish() }).nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** What the gateway does not serve, refused by name rather than ignored. */
const REFUSED: ReadonlyArray<readonly [string, (req: Record<string, unknown>) => boolean, string]> = [
  ["background", (req) => req.background === true, "background responses are not supported"],
  [
    "conversation",
    (req) => req.conversation != null,
    "the Conversations API is not supported; continue with previous_response_id",
  ],
  ["prompt", (req) => req.prompt != null, "prompt templates are not supported; send input"],
];

/** Validates a Responses API body; a failure is a 400 naming every bad field, `param` the first. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const request = validate(responsesRequestSchema, body);
  for (const [param, refused, message] of REFUSED) {
    if (refused(request)) throw badRequest(message, param, "unsupported_parameter");
  }
  if (Array.isArray(request.input)) {
    const reference = request.input.findIndex((item) => item.type === "item_reference");
    if (reference >= 0) {
      throw badRequest(
        "item_reference is not supported; continue a stored conversation with previous_response_id",
        `input[${reference}]`,
        "unsupported_parameter",
      );
    }
  }
  return request;
}
