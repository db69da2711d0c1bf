import { Hono } from "hono";
import { z } from "zod";
import { GatewayError, serviceUnavailable } from "../../errors";
import type { GatewayEnv } from "../../http/env";
import { readJson, validate } from "../../http/parse-body";
import { requestSizeLimit } from "../../http/request-size";
import type { Logger } from "../../logging/logger";
import type { GatewayMetrics } from "../../metrics/port";
import type { Sql } from "../../store/sql/port";
import { insertFeedback } from "../feedback-table";
import type { LearnedStore } from "./learned-store";
import { ownerOf } from "./owner";

export const FEEDBACK_PATH = "/llmrouter/feedback";
/** A feedback body is a request id and a number: anything near this size is not one. */
const MAX_FEEDBACK_BYTES = 4_096;

export const feedbackSchema = z.strictObject({
  /** The `x-request-id` of the response the feedback is about. */
  request_id: z.string().regex(/^[\w\-=]{1,200}$/, { message: "expected the x-request-id of a response" }),
  /** How good the answer was, 0 (bad) to 1 (good). */
  score: z.number().min(0).max(1),
});

const notFound = (requestId: string) =>
  new GatewayError({
    status: 404,
    type: "not_found_error",
    code: "decision_not_found",
    param: "request_id",
    message: `no learned-routing decision this key may rate for request "${requestId}": unknown, expired, not routed by a learned router, or another key's`,
  });

/**
 * `POST /llmrouter/feedback {"request_id", "score"}`: rates the answer a learned router chose.
 * A key rates only its own requests (the master key any), each once; the bandit learns from it at
 * once and the row is kept for retraining. Behind the API's authentication.
 */
export function feedbackRoutes(deps: {
  readonly store: LearnedStore;
  readonly sql: Sql;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.post(
    FEEDBACK_PATH,
    requestSizeLimit(() => MAX_FEEDBACK_BYTES),
    async (c) => {
      const body = validate(feedbackSchema, await readJson(c));
      const principal = c.get("principal");
      const claim = await deps.store
        .claim(body.request_id, principal.kind === "master" ? "*" : ownerOf(principal))
        .catch(() => {
          throw serviceUnavailable(
            "cannot record feedback right now: the shared store is unreachable; retry shortly",
            1,
          );
        });
      if (claim.kind === "missing") {
        deps.metrics.routerFeedback("", "", "not_found");
        throw notFound(body.request_id);
      }
      if (claim.kind === "duplicate") {
        deps.metrics.routerFeedback("", "", "duplicate");
        throw new GatewayError({
          status: 409,
          type: "invalid_request_error",
          code: "feedback_already_given",
          param: "request_id",
          message: `request "${body.request_id}" was rated already; a request takes one rating`,
        });
      }
      const { record } = claim;
      if (record.cluster >= 0 && record.candidate !== "") {
        await deps.store.reward(record.group, record.cluster, record.candidate, body.score);
      }
      const stored = await insertFeedback(deps.sql, {
        requestId: body.request_id,
        keyHash: principal.kind === "virtual_key" ? principal.keyHash : null,
        modelGroup: record.group,
        deployment: record.deployment,
        router: record.router,
        score: body.score,
      }).then(
        () => true,
        (error: unknown) => {
          // The bandit has learned already; only the copy kept for retraining is lost.
          deps.metrics.storeFailure("database", "router_feedback");
          deps.logger.warn("feedback not stored for retraining", {
            request_id: body.request_id,
            error: error instanceof Error ? error.message : String(error),
          });
          return false;
        },
      );
      deps.metrics.routerFeedback(record.group, record.router, "recorded");
      return c.json({
        request_id: body.request_id,
        model_group: record.group,
        deployment: record.deployment,
        router: record.router,
        arm: record.arm,
        score: body.score,
        stored,
      });
    },
  );
  return app;
}
