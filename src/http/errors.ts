/**
 * One error type thrown from anywhere in a request, turned into the one JSON error shape
 * `{ code, message, requestId }` in one place (app.ts).
 */

import type { ErrorHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { logger } from "../observability/logger.js";
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

/**
 * The app's error handler: an ApiError becomes its status with `{ code, message, requestId }`; anything
 * else is logged and answered 500 with no detail (no stack traces to clients).
 */
export function errorHandler(): ErrorHandler<RequestEnv> {
  return function handleError(error, c) {
    const requestId = c.get("requestId");
    if (error instanceof ApiError) {
      return answerJson(
        c,
        { code: error.code, message: error.message, requestId },
        error.status,
        error.headers,
      );
    }
    logger.error({ req_id: requestId, err: error.message, stack: error.stack }, "request failed");
    return answerJson(c, { code: "internal", message: "internal error", requestId }, 500);
  };
}
