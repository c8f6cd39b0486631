/**
 * One error type thrown from anywhere in a request, turned into the one JSON error shape
 * `{ code, message, requestId }` in one place (app.ts).
 */

import type { ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { logger } from "../observability/logger.js";
import { storeFailureOf } from "../store/store-errors.js";
import { answerJson, type RequestEnv } from "./request-env.js";

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  /** Headers the error response carries (WWW-Authenticate, Retry-After, X-RateLimit-*). */
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (message: string) => new ApiError(400, "bad_request", message);

/** 503 `store_unavailable`: Redis or Kvrocks cannot be reached (the server reconnects by itself). */
export const storeUnavailable = (headers: Record<string, string> = {}) =>
  new ApiError(503, "store_unavailable", "the store cannot be reached; try again shortly", headers);

/**
 * The answer to a store failure that is a condition of the store, not a bug (store-errors.ts): 503
 * `store_unavailable` while the store cannot be reached, 507 `store_full` when it has no room left for
 * a write. Undefined for any other error.
 */
function storeFailureAnswer(error: unknown): ApiError | undefined {
  const failure = storeFailureOf(error);
  if (failure === "unavailable") return storeUnavailable();
  if (failure === "full") {
    return new ApiError(507, "store_full", "the store has no space left; nothing more can be written");
  }
  return undefined;
}

/**
 * The app's error handler: an ApiError becomes its status with `{ code, message, requestId }`; a store
 * that cannot be reached or is full becomes 503 or 507 (storeFailureAnswer), its reason logged; anything
 * else is logged and answered 500 with no detail (no stack traces to clients).
 */
export function errorHandler(): ErrorHandler<RequestEnv> {
  return function handleError(error, c) {
    const requestId = c.get("requestId");
    const storeFailure = error instanceof ApiError ? undefined : storeFailureAnswer(error);
    // The store's own reason can name internal hosts: for the log, not the client.
    if (storeFailure) logger.warn({ req_id: requestId, err: error.message }, storeFailure.message);
    const answer = error instanceof ApiError ? error : storeFailure;
    if (answer) {
      return answerJson(
        c,
        { code: answer.code, message: answer.message, requestId },
        answer.status,
        answer.headers,
      );
    }
    logger.error({ req_id: requestId, err: error.message, stack: error.stack }, "request failed");
    return answerJson(c, { code: "internal", message: "internal error", requestId }, 500);
  };
}
