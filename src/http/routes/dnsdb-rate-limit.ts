/**
 * `GET /dnsdb/v2/rate_limit`: the caller's own quota figures in DNSDB's shape, as dnsdbq reads them.
 * Each field is an integer, "n/a", or (limit) "unlimited"; burst_size and burst_window appear only
 * together and only as integers (dnsdbq asserts it). Asking does not count against the quota.
 */
import { Hono } from "hono";
import { type RateLimiter, rateLimitHeaders } from "../../auth/quota.js";
import { answerJson, type RequestEnv } from "../request-env.js";

export function dnsdbRateLimitRoutes(limiter: RateLimiter) {
  const app = new Hono<RequestEnv>();
  app.get("/rate_limit", async (c) => {
    const principal = c.get("principal");
    const quota = c.get("quota");
    const status = await limiter.peek(principal.user, quota);
    const expires =
      principal.expiresAt === undefined ? "n/a" : Math.floor(Date.parse(principal.expiresAt) / 1000);
    const rate: Record<string, number | string> = {
      reset: status.daily?.reset ?? "n/a",
      expires,
      limit: status.daily?.limit ?? "unlimited",
      remaining: status.daily?.remaining ?? "n/a",
      results_max: quota.resultsMax ?? "n/a",
      offset_max: "n/a",
    };
    if (quota.burstSize !== null) {
      rate.burst_size = quota.burstSize;
      rate.burst_window = quota.burstWindow;
    }
    return answerJson(c, { rate }, 200, rateLimitHeaders(status));
  });
  return app;
}
