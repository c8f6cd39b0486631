/**
 * Per request, once the answer's headers are out: one access-log line (request id, method, route
 * pattern, path without query string, status, time, user) and the HTTP metrics. Paths never carry
 * credentials here (tokens travel in headers, which are never logged); query strings are left out all
 * the same.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { logger } from "../observability/logger.js";
import { httpDuration, httpRequests, internalErrors } from "../observability/metrics.js";
import type { RequestEnv } from "./request-env.js";

export function observeRequests(): MiddlewareHandler<RequestEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const status = c.res.status;
    // The pattern of the route that answered; middleware-only matches (404s) share one label.
    const pattern = routePath(c);
    const route = status === 404 && (pattern === "*" || pattern.endsWith("/*")) ? "unmatched" : pattern;
    const method = c.req.method;
    httpRequests.inc({ method, route, status: String(status) });
    httpDuration.observe({ method, route }, seconds);
    if (status >= 500) internalErrors.inc();
    logger.info(
      {
        req_id: c.get("requestId"),
        method,
        route,
        path: c.req.path,
        status,
        ms: Math.round(seconds * 10_000) / 10,
        user: c.get("principal")?.user,
      },
      "request",
    );
  };
}
