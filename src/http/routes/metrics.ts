/** `GET /metrics`: the Prometheus text exposition of this process's registry (see observability/metrics.ts). */
import { Hono } from "hono";
import { metricsText } from "../../observability/metrics.js";
import { answer, type RequestEnv } from "../request-env.js";

/** Where the exposition comes from: this process (default), or every worker's (under --workers). */
export type MetricsSource = () => Promise<{ body: string; contentType: string }>;

export function metricsRoutes(source: MetricsSource = metricsText) {
  const app = new Hono<RequestEnv>();
  app.get("/metrics", async (c) => {
    const { body, contentType } = await source();
    return answer(c, body, 200, { "content-type": contentType, "cache-control": "no-store" });
  });
  return app;
}
