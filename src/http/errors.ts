/**
 * One error type thrown from anywhere in a request, turned into the one JSON error shape
 * `{ code, message, requestId }` in one place (app.ts).
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;

  constructor(status: ContentfulStatusCode, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (message: string) => new ApiError(400, "bad_request", message);
