import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { badRequest, GatewayError, serviceUnavailable } from "../errors";
import type { GatewayEnv } from "../http/env";
import { readJson, validate } from "../http/parse-body";
import { SSE_HEADERS } from "../openai/sse";
import { estimateTokens } from "../openai/token-estimate";
import { callModel } from "../routes/call-model";
import { checkModelAccess } from "../routes/model-access";
import { expandRequest } from "./expand";
import { finalizeStream, isKept } from "./finalize";
import { inputItemsOf, newId } from "./items";
import { observeResponsesStream } from "./observe";
import { responsesPrompt } from "./prompt";
import { eventsOfResponse } from "./replay";
import { parseResponsesRequest, RESPONSE_ID } from "./schema";
import { responsesOperation } from "./serve";
import {
  MAX_TURNS,
  type SessionStore,
  type StoredResponse,
  sessionScopeOf,
  sessionStore,
} from "./session-store";
import { encodeEvent, streamOf } from "./sse";
import { type Echo, stampResponse } from "./stamp";
import type { InputItem, OutputItem, ResponseObject } from "./types";

/** The same answer for a response that does not exist and one another key stored: nothing leaks. */
function notFound(id: string, param: string | null = null): GatewayError {
  return new GatewayError({
    status: 404,
    type: "not_found_error",
    code: param === null ? "response_not_found" : "previous_response_not_found",
    param,
    message: `no response with id "${id.slice(0, 80)}"`,
  });
}

function storeUnavailable(): GatewayError {
  return serviceUnavailable("stored responses cannot be reached right now; retry shortly", 1);
}

/** A KV call for stored responses: its failure is a 503 the client may retry, logged and counted. */
async function reach<T>(c: Context<GatewayEnv>, operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const deps = c.get("deps");
    deps.metrics.storeFailure("redis", `responses_${operation}`);
    deps.logger.warn("stored responses unreachable", { operation, error: String(error) });
    throw storeUnavailable();
  }
}

function storeOf(c: Context<GatewayEnv>): { store: SessionStore; scope: string } {
  const deps = c.get("deps");
  return {
    store: sessionStore(deps.kv, deps.config.current().responses),
    scope: sessionScopeOf(c.get("principal")),
  };
}

/** The earlier turns `previous_response_id` continues, oldest first, and what they take stored. */
async function earlierTurns(
  c: Context<GatewayEnv>,
  previousId: string,
): Promise<{ items: (InputItem | OutputItem)[]; chars: number }> {
  const param = "previous_response_id";
  if (!RESPONSE_ID.test(previousId)) throw notFound(previousId, param);
  const { store, scope } = storeOf(c);
  const conversation = await reach(c, "conversation", () => store.conversation(scope, previousId));
  switch (conversation.status) {
    case "missing":
      throw notFound(previousId, param);
    case "broken":
      throw new GatewayError({
        status: 404,
        type: "not_found_error",
        code: "conversation_incomplete",
        param,
        message: `an earlier response of the conversation "${previousId}" continues has expired or was deleted; start a new conversation`,
      });
    case "too_long":
      throw badRequest(
        `the conversation "${previousId}" continues has more than ${MAX_TURNS} turns; start a new one`,
        param,
        "conversation_too_long",
      );
  }
  const items = conversation.turns.flatMap((turn) => [...turn.input, ...turn.response.output]);
  return { items, chars: conversation.chars };
}

/**
 * Refuses a request that would grow its conversation past `responses_max_conversation_mb`, or store
 * a response for a key past `responses_store_mb_per_key`, before any upstream sees it.
 */
async function checkBounds(
  c: Context<GatewayEnv>,
  at: { chars: number; keep: boolean; store: SessionStore; scope: string },
): Promise<void> {
  const deps = c.get("deps");
  const { maxConversationChars, quotaChars } = deps.config.current().responses;
  if (at.chars > maxConversationChars) {
    throw badRequest(
      `the conversation would exceed ${maxConversationChars} characters stored (general_settings.responses_max_conversation_mb); start a new one, or send it whole with store: false`,
      "input",
      "conversation_too_large",
    );
  }
  if (!at.keep) return;
  // A store that cannot say how much a key holds does not stop the answer (storing it may then
  // fail too, which is logged): the quota bounds what a key can fill, not whether it is served.
  const underQuota = await at.store.underQuota(at.scope).catch(() => {
    deps.metrics.storeFailure("redis", "responses_quota");
    return true;
  });
  if (!underQuota) {
    throw new GatewayError({
      status: 429,
      type: "rate_limit_error",
      code: "response_storage_exceeded",
      message: `this key stored ${quotaChars} characters of responses in the current period (general_settings.responses_store_mb_per_key); send store: false, or wait for stored responses to expire`,
    });
  }
}

export const inputItemsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("desc"),
  after: z.string().optional(),
});

/** A response's own input items, a page at a time, as OpenAI's cursor lists are paged. */
function inputItemsPage(stored: StoredResponse, query: z.infer<typeof inputItemsQuery>) {
  const ordered = query.order === "asc" ? [...stored.input] : [...stored.input].reverse();
  const start = query.after === undefined ? 0 : ordered.findIndex((item) => item.id === query.after) + 1;
  const data = ordered.slice(start, start + query.limit);
  return {
    object: "list",
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + data.length < ordered.length,
  };
}

/** A stored response's events, as `GET /responses/{id}?stream=true` replays it. */
function replayStream(response: ResponseObject, after: number): ReadableStream<Uint8Array> {
  const events = eventsOfResponse(response)
    .map((event, sequence_number) => ({ ...event, sequence_number }))
    .filter((event) => event.sequence_number > after);
  return streamOf(events.map(encodeEvent));
}

/**
 * OpenAI's Responses API in front of any configured model (`POST /responses`, and reading and
 * deleting what it stored). The conversation state lives in the KV store (Redis shared by every
 * replica), scoped to the key that created it; the model call itself is routed, limited, cached
 * and charged like any chat completion.
 */
export function responsesRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post("/responses", async (c) => {
    const deps = c.get("deps");
    const config = deps.config.current();
    const request = parseResponsesRequest(await readJson(c));
    const keep = request.store !== false;
    const principal = c.get("principal");
    // Before the conversation is read: reading it renews it, which a key refused the model must not do.
    checkModelAccess(principal, request.model);
    const previousId = request.previous_response_id ?? undefined;
    const earlier = previousId === undefined ? { items: [], chars: 0 } : await earlierTurns(c, previousId);
    const input = inputItemsOf(request.input);
    const { store, scope } = storeOf(c);
    await checkBounds(c, { chars: earlier.chars + JSON.stringify(input).length, keep, store, scope });
    const expanded = expandRequest(request, earlier.items);
    const operation = responsesOperation(expanded, config.groups.get(request.model));
    const prompt = responsesPrompt(expanded);
    const served = await callModel(c, {
      request: expanded,
      estimatedTokens: estimateTokens(prompt.text),
      prompt: () => prompt,
      operation,
      operationName: "responses",
      route: "responses",
      endpoint: "responses",
      // A stored response is new state under its own id: never one answered before.
      cacheable: !keep,
      observe: observeResponsesStream,
    });
    const echo: Echo = {
      id: newId("resp"),
      createdAt: Math.floor(Date.now() / 1000),
      request,
      store: keep,
    };
    // The answer is the client's whatever happens to its copy: a store that fails is logged, and
    // continuing from it then answers 404.
    const save = async (response: ResponseObject) => {
      if (!keep) return;
      await store.save(scope, { response, input }, previousId).catch((error: unknown) => {
        deps.metrics.storeFailure("redis", "responses_save");
        deps.logger.warn("could not store a response", { response_id: response.id, error: String(error) });
      });
    };
    if (served.type === "stream") {
      return c.body(finalizeStream(served.body, echo, save), 200, { ...SSE_HEADERS });
    }
    const response = stampResponse(JSON.parse(served.body) as ResponseObject, echo);
    if (isKept(response)) await save(response);
    return c.json(response);
  });

  app.get("/responses/:id", async (c) => {
    const id = c.req.param("id");
    if (!RESPONSE_ID.test(id)) throw notFound(id);
    const { store, scope } = storeOf(c);
    const stored = await reach(c, "get", () => store.get(scope, id));
    if (stored === undefined) throw notFound(id);
    if (c.req.query("stream") !== "true") return c.json(stored.response);
    const after = Number(c.req.query("starting_after") ?? -1);
    return c.body(replayStream(stored.response, Number.isFinite(after) ? after : -1), 200, {
      ...SSE_HEADERS,
    });
  });

  app.delete("/responses/:id", async (c) => {
    const id = c.req.param("id");
    if (!RESPONSE_ID.test(id)) throw notFound(id);
    const { store, scope } = storeOf(c);
    if (!(await reach(c, "delete", () => store.delete(scope, id)))) throw notFound(id);
    return c.json({ id, object: "response", deleted: true });
  });

  app.get("/responses/:id/input_items", async (c) => {
    const id = c.req.param("id");
    if (!RESPONSE_ID.test(id)) throw notFound(id);
    const query = validate(inputItemsQuery, c.req.query());
    const { store, scope } = storeOf(c);
    const stored = await reach(c, "get", () => store.get(scope, id));
    if (stored === undefined) throw notFound(id);
    return c.json(inputItemsPage(stored, query));
  });

  return app;
}
