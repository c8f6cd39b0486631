/**
 * Health probes for orchestrators, load balancers and monitoring. Both are public (no credential:
 * they are absent from ROUTE_POLICIES), neither counted nor audited, and never cached.
 *
 * - `GET /healthz` (liveness): the process is up and serving HTTP → `200 {"status":"ok"}`. It touches
 *   nothing else, so a slow or unreachable store never gets the process restarted.
 * - `GET /readyz` (readiness): the store answers a ping within `timeoutMs` → `200 {"status":"ok"}`;
 *   otherwise `503` in the common error shape (`{"code":"store_unavailable", ...}`). The reason goes to
 *   the log, not to the client (it can name internal hosts).
 */
import { Hono } from "hono";
import type { Store } from "../../store/types.js";
import { storeUnavailable } from "../errors.js";
import { answerJson, type RequestEnv } from "../request-env.js";

export interface HealthDependencies {
  store: Pick<Store, "ping">;
  log: (message: string) => void;
  /** How long /readyz waits for the store before answering 503 (default 2,000 ms). */
  timeoutMs?: number;
}

const NO_STORE = { "cache-control": "no-store" };

/** Resolves when `promise` does, rejects when it does or when `ms` pass first. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: HealthDependencies) {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const app = new Hono<RequestEnv>();

  app.get("/healthz", (c) => answerJson(c, { status: "ok" }, 200, NO_STORE));

  app.get("/readyz", async (c) => {
    try {
      await within(deps.store.ping(), timeoutMs);
    } catch (error) {
      deps.log(`readiness: the store did not answer a ping: ${(error as Error).message}`);
      throw storeUnavailable(NO_STORE);
    }
    return answerJson(c, { status: "ok" }, 200, NO_STORE);
  });

  return app;
}
