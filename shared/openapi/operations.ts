import type { z } from "zod";
import {
  deleteModelSchema,
  modelInfoQuerySchema,
  newModelSchema,
  patchModelSchema,
  updateModelSchema,
} from "../db-models/model-input";
import { feedbackSchema } from "../learned/serve/feedback-route";
import { messagesRequestSchema } from "../messages-api/schema";
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
} from "../openai/request-schemas";
import { inputItemsQuery } from "../responses-api/routes";
import { responsesRequestSchema } from "../responses-api/schema";
import {
  deleteKeysSchema,
  generateKeySchema,
  keyInfoQuerySchema,
  keyRefBodySchema,
  listKeysQuerySchema,
  regenerateKeySchema,
  updateKeySchema,
} from "../routes/management/key-input";
import {
  globalSpendQuerySchema,
  spendByModelQuerySchema,
  spendKeysQuerySchema,
  spendLogsQuerySchema,
  spendReportQuerySchema,
} from "../routes/management/spend-routes";
import {
  deleteTeamsSchema,
  emptyQuerySchema,
  memberAddSchema,
  memberDeleteSchema,
  newTeamSchema,
  teamInfoQuerySchema,
  updateTeamSchema,
} from "../routes/management/team-routes";
import {
  deleteUsersSchema,
  listUsersQuerySchema,
  newUserSchema,
  updateUserSchema,
  userInfoQuerySchema,
} from "../routes/management/user-routes";

export type Tag = "OpenAI" | "Anthropic" | "Management" | "Models" | "Operations";
export type Method = "get" | "post" | "patch" | "delete";
/** Who may call: nobody needs a key, a virtual key or the master key, or the master key only. */
export type Access = "public" | "key" | "master";

/** One route as the reference describes it: the zod schemas are the ones its handler validates with. */
export interface Operation {
  readonly method: Method;
  /** OpenAPI's spelling: `{id}` for a path parameter. */
  readonly path: string;
  readonly tag: Tag;
  readonly summary: string;
  readonly access: Access;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** Served under `/v1` and at the root alike, as the OpenAI and Anthropic clients call them. */
  readonly bothPrefixes?: boolean;
}

const op = (
  method: Method,
  path: string,
  tag: Tag,
  access: Access,
  summary: string,
  schemas: Pick<Operation, "body" | "query" | "bothPrefixes"> = {},
): Operation => Object.freeze({ method, path, tag, access, summary, ...schemas });

/** Every route the gateway serves. A test holds this list to the app's own routes. */
export const OPERATIONS: readonly Operation[] = Object.freeze([
  op("post", "/chat/completions", "OpenAI", "key", "Chat completion (streamed with `stream: true`)", {
    body: chatRequestSchema,
    bothPrefixes: true,
  }),
  op("post", "/completions", "OpenAI", "key", "Text completion", {
    body: completionRequestSchema,
    bothPrefixes: true,
  }),
  op("post", "/embeddings", "OpenAI", "key", "Embeddings", {
    body: embeddingRequestSchema,
    bothPrefixes: true,
  }),
  op("get", "/models", "OpenAI", "key", "The model groups the caller may use", { bothPrefixes: true }),
  op("post", "/responses", "OpenAI", "key", "Responses API", {
    body: responsesRequestSchema,
    bothPrefixes: true,
  }),
  op("get", "/responses/{id}", "OpenAI", "key", "A stored response", { bothPrefixes: true }),
  op("delete", "/responses/{id}", "OpenAI", "key", "Delete a stored response", { bothPrefixes: true }),
  op("get", "/responses/{id}/input_items", "OpenAI", "key", "A stored response's input items", {
    query: inputItemsQuery,
    bothPrefixes: true,
  }),
  op("post", "/messages", "Anthropic", "key", "Anthropic Messages API on any model", {
    body: messagesRequestSchema,
    bothPrefixes: true,
  }),
  op("post", "/llmrouter/feedback", "OpenAI", "key", "Feedback on a learned routing decision", {
    body: feedbackSchema,
  }),

  op("post", "/key/generate", "Management", "master", "Create a virtual key", { body: generateKeySchema }),
  op("get", "/key/info", "Management", "key", "A key's settings and spend", { query: keyInfoQuerySchema }),
  op("post", "/key/health", "Management", "key", "Check a key"),
  op("post", "/key/regenerate", "Management", "master", "Replace a key's secret", {
    body: regenerateKeySchema,
  }),
  op("post", "/key/{key}/regenerate", "Management", "master", "Replace a key's secret", {
    body: regenerateKeySchema,
  }),
  op("post", "/key/update", "Management", "master", "Change a key", { body: updateKeySchema }),
  op("post", "/key/block", "Management", "master", "Block a key", { body: keyRefBodySchema }),
  op("post", "/key/unblock", "Management", "master", "Unblock a key", { body: keyRefBodySchema }),
  op("post", "/key/delete", "Management", "master", "Delete keys", { body: deleteKeysSchema }),
  op("get", "/key/list", "Management", "master", "List keys", { query: listKeysQuerySchema }),
  op("post", "/team/new", "Management", "master", "Create a team", { body: newTeamSchema }),
  op("get", "/team/info", "Management", "master", "A team", { query: teamInfoQuerySchema }),
  op("post", "/team/update", "Management", "master", "Change a team", { body: updateTeamSchema }),
  op("post", "/team/delete", "Management", "master", "Delete teams", { body: deleteTeamsSchema }),
  op("post", "/team/member_add", "Management", "master", "Add team members", { body: memberAddSchema }),
  op("post", "/team/member_delete", "Management", "master", "Remove team members", {
    body: memberDeleteSchema,
  }),
  op("get", "/team/list", "Management", "master", "List teams", { query: emptyQuerySchema }),
  op("post", "/user/new", "Management", "master", "Create a user", { body: newUserSchema }),
  op("get", "/user/info", "Management", "master", "A user", { query: userInfoQuerySchema }),
  op("get", "/user/list", "Management", "master", "List users", { query: listUsersQuerySchema }),
  op("post", "/user/update", "Management", "master", "Change a user", { body: updateUserSchema }),
  op("post", "/user/delete", "Management", "master", "Delete users", { body: deleteUsersSchema }),
  op("get", "/spend/logs", "Management", "master", "Request and spend log", { query: spendLogsQuerySchema }),
  op("get", "/spend/keys", "Management", "master", "Spend per key", { query: spendKeysQuerySchema }),
  op("get", "/spend/report", "Management", "master", "Spend, tokens and requests per period and group", {
    query: spendReportQuerySchema,
  }),
  op("get", "/global/spend", "Management", "master", "Spend over a period", {
    query: globalSpendQuerySchema,
  }),
  op("get", "/global/spend/models", "Management", "master", "Spend per model", {
    query: spendByModelQuerySchema,
  }),

  op("post", "/model/new", "Models", "master", "Add a model (STORE_MODEL_IN_DB)", { body: newModelSchema }),
  op("post", "/model/update", "Models", "master", "Change a database model", { body: updateModelSchema }),
  op("patch", "/model/{model_id}/update", "Models", "master", "Change a database model", {
    body: patchModelSchema,
  }),
  op("post", "/model/delete", "Models", "master", "Delete a database model", { body: deleteModelSchema }),
  op("get", "/model/info", "Models", "master", "Every model, the file's and the database's", {
    query: modelInfoQuerySchema,
  }),
  op("get", "/v1/model/info", "Models", "master", "Every model, the file's and the database's", {
    query: modelInfoQuerySchema,
  }),

  op("get", "/_health/live", "Operations", "public", "Liveness"),
  op("get", "/_health/ready", "Operations", "public", "Readiness of the database and Redis"),
  op("get", "/health/liveliness", "Operations", "public", "Liveness (LiteLLM's path)"),
  op("get", "/health/readiness", "Operations", "public", "Readiness (LiteLLM's path)"),
  op("get", "/health", "Operations", "master", "Probe every deployment"),
  op(
    "get",
    "/metrics",
    "Operations",
    "public",
    "Prometheus metrics (behind the master key when configured so)",
  ),
  op(
    "get",
    "/llmrouter/config/sync/status",
    "Operations",
    "master",
    "Config sync and leader election status",
  ),
  op("get", "/openapi.json", "Operations", "public", "This document"),
  op("get", "/docs", "Operations", "public", "The interactive reference"),
  op("get", "/docs/scalar.js", "Operations", "public", "The reference page's script"),
  op("get", "/docs/init.js", "Operations", "public", "The reference page's settings"),
  op(
    "get",
    "/llmrouter/config/sync/lease",
    "Operations",
    "master",
    "Who leads config sync, until when, and its fencing token",
  ),
  op(
    "get",
    "/llmrouter/deployments",
    "Operations",
    "master",
    "Every deployment with the router's live state",
  ),
  op(
    "get",
    "/llmrouter/replicas",
    "Operations",
    "master",
    "Every replica seen lately: its served config revision, leadership and readiness",
  ),
]);
