/**
 * The HTTP application: every route with the access policy it declares, and the one place errors
 * become responses.
 */

import { randomUUID } from "node:crypto";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AuditLog } from "../audit/audit-log.js";
import type { Accounts } from "../auth/accounts.js";
import type { AuthFailureGuard } from "../auth/auth-failures.js";
import type { JwtService } from "../auth/jwt.js";
import type { EffectiveQuota, RateLimiter } from "../auth/quota.js";
import type { Config } from "../config.js";
import type { Sensors } from "../d4/sensors.js";
import type { IngestStatus } from "../ingest/ingest-status.js";
import type { Store } from "../store/types.js";
import { access, type RoutePolicy } from "./access.js";
import { errorHandler } from "./errors.js";
import { observeRequests } from "./observe.js";
import {
  answerJson,
  isAnswer,
  liftRequestDeadline,
  type RequestEnv,
  SECURITY_HEADERS,
} from "./request-env.js";
import { adminRoutes } from "./routes/admin.js";
import { adminSensorRoutes } from "./routes/admin-sensors.js";
import { authTokenRoutes, jwksRoutes } from "./routes/auth-token.js";
import { circlPdnsRoutes } from "./routes/circl-pdns.js";
import { circlPsslRoutes } from "./routes/circl-pssl.js";
import { d4PdnsRoutes } from "./routes/d4-pdns.js";
import { dnsdbRoutes } from "./routes/dnsdb.js";
import { dnsdbRateLimitRoutes } from "./routes/dnsdb-rate-limit.js";
import { docsRoutes } from "./routes/docs.js";
import { healthRoutes } from "./routes/health.js";
import { ingestRoutes } from "./routes/ingest.js";
import { type MetricsSource, metricsRoutes } from "./routes/metrics.js";
import { pdnsBulkRoutes } from "./routes/pdns-bulk.js";
import { psslExtendedRoutes } from "./routes/pssl-extended.js";
import { uiRoutes } from "./routes/ui.js";

export interface AppDependencies {
  store: Store;
  accounts: Accounts;
  jwt: JwtService;
  limiter: RateLimiter;
  failures: AuthFailureGuard;
  audit: AuditLog;
  defaultQuota: EffectiveQuota;
  /** D4 sensors, when the server has a secret key to protect their keys with. */
  sensors: Sensors | undefined;
  /** Lifetime of a JWT when the caller does not ask for one. */
  jwtTtlSeconds: number;
  config: Pick<
    Config,
    | "origin"
    | "maxPageSize"
    | "psslMaxCidrPrefix"
    | "pdnsMaxCidr4"
    | "pdnsMaxCidr6"
    | "bulkMaxValues"
    | "ingestMaxBytes"
    | "trustProxy"
  >;
  version: string;
  log: (message: string) => void;
  /** The ingest running inside the server (D4 queues, D4 endpoint), for admins in /info. */
  ingest?: IngestStatus | undefined;
  /**
   * Whether /healthz, /readyz and /metrics answer without a credential on this listener; otherwise they
   * need an admin's (an operator runs them unauthenticated on a separate listener, `--ops-listen`).
   */
  opsPublic?: boolean | undefined;
  /** Origins whose browser scripts may call the API (CORS); none: no CORS headers at all. */
  corsOrigins?: readonly string[] | undefined;
}

/** Queries: analysts (and admins), counted against quotas, audited. */
const QUERY: RoutePolicy = { roles: ["analyst"], metered: true, audited: true };
/** Many queries in one request: the route counts one per value, all at once, before reading any. */
const BULK_QUERY: RoutePolicy = { roles: ["analyst"], metered: false, audited: true };
/** Reading one's own standing: analysts, neither counted nor audited. */
const OWN_STANDING: RoutePolicy = { roles: ["analyst"], metered: false, audited: false };
/** Administration: admins only, audited. */
const ADMIN: RoutePolicy = { roles: ["admin"], metered: false, audited: true };
/** Feeding observations: sensors (and admins), audited, not counted as queries. */
const INGEST: RoutePolicy = { roles: ["sensor"], metered: false, audited: true };
/** Exchanging a credential for a JWT: every role, audited. */
const ANY_ROLE: RoutePolicy = { roles: ["analyst", "sensor"], metered: false, audited: true };
/** Who am I: every role, neither counted nor audited. */
const WHO_AM_I: RoutePolicy = { roles: ["analyst", "sensor"], metered: false, audited: false };

/** Health and metrics on the main listener, unless made public there: admins, neither counted nor audited. */
const OPS: RoutePolicy = { roles: ["admin"], metered: false, audited: false };
export const OPS_POLICIES: ReadonlyArray<readonly [path: string, policy: RoutePolicy]> = [
  ["/healthz", OPS],
  ["/readyz", OPS],
  ["/metrics", OPS],
];

/**
 * Every protected path and its policy; a path absent from here is public (/auth/jwks.json, /dnsdb/v2/ping,
 * /openapi.json, /docs, /ui). The OpenAPI document derives each route's security from this table.
 */
export const ROUTE_POLICIES: ReadonlyArray<readonly [path: string, policy: RoutePolicy]> = [
  ["/pdns/query/*", QUERY],
  ["/pdns/rcodes/*", QUERY],
  ["/pdns/bulk", BULK_QUERY],
  ["/query/*", QUERY],
  ["/fquery/*", QUERY],
  ["/info", QUERY],
  ["/v2pssl/*", QUERY],
  ["/pssl/*", QUERY],
  ["/dnsdb/v2/rate_limit", OWN_STANDING],
  ["/dnsdb/v2/lookup/*", QUERY],
  ["/dnsdb/v2/summarize/*", QUERY],
  ["/admin/*", ADMIN],
  ["/auth/token", ANY_ROLE],
  ["/auth/me", WHO_AM_I],
  ["/ingest/*", INGEST],
];

/**
 * What every listener does first: our own id for every request (a client-sent X-Request-Id is not
 * trusted: it ends up in the audit log), on every answer with the security headers (routes and errors
 * answer through answer() / answerJson(), which add them; withCommonHeaders catches any other answer);
 * then the access log line and the metrics once the answer is out; then a URL length check.
 */
function baseApp(): Hono<RequestEnv> {
  const app = new Hono<RequestEnv>();
  app.use(async (c, next) => {
    const id = randomUUID();
    c.set("requestId", id);
    c.set("responseHeaders", { "x-request-id": id, ...SECURITY_HEADERS });
    await next();
    withCommonHeaders(c);
  });
  app.use(observeRequests());
  app.use(async (c, next) => {
    if (c.req.url.length <= MAX_URL_LENGTH) return next();
    const message = `the URL may be at most ${MAX_URL_LENGTH} characters`;
    return answerJson(c, { code: "uri_too_long", message, requestId: c.get("requestId") }, 414);
  });
  return app;
}

/**
 * The longest URL (scheme, host, path and query) answered: longer ones are 414 before access control.
 * Node refuses request lines and headers over 16 KiB by itself (431).
 */
export const MAX_URL_LENGTH = 8192;

/**
 * The request's common headers (request id, security headers, rate limits) on an answer that answer()
 * did not make (a redirect, a CORS preflight): those made by answer() have them already, and are left
 * alone (reading their headers would build a Headers object, which the fast path avoids).
 */
function withCommonHeaders(c: Context<RequestEnv>): void {
  const response = c.res;
  if (isAnswer(response)) return;
  const common = Object.entries(c.get("responseHeaders") ?? SECURITY_HEADERS);
  const missing = common.filter(([name]) => !response.headers.has(name));
  if (missing.length === 0) return;
  try {
    for (const [name, value] of missing) response.headers.set(name, value);
  } catch {
    // Immutable headers (Response.redirect()): a copy with them.
    const copy = new Response(response.body, response);
    for (const [name, value] of missing) copy.headers.set(name, value);
    c.res = copy;
  }
}

/** Response headers a browser script may read, besides the CORS-safelisted ones. */
const CORS_EXPOSED_HEADERS = [
  "X-Request-Id",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "Retry-After",
  "X-Dribble-Cursor",
];

/**
 * CORS for the listed origins only (exact match on `Origin`): preflights answered, the credential
 * headers allowed, our own headers exposed. A request from any other origin, or with no `Origin`, is
 * served as if CORS did not exist (no Access-Control-* header; a preflight meets access control).
 */
function corsFor(origins: readonly string[]): MiddlewareHandler<RequestEnv> {
  const allowed = new Set(origins);
  const handler = cors({
    origin: [...allowed],
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: ["Authorization", "X-API-Key", "Content-Type"],
    exposeHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
  return async (c, next) => (allowed.has(c.req.header("origin") ?? "") ? handler(c, next) : next());
}

/** The operations listener (`--ops-listen`): health probes and metrics, no credential, nothing else. */
export function createOpsApp(deps: Pick<AppDependencies, "store" | "log"> & { metrics?: MetricsSource }) {
  const app = baseApp();
  app.route("/", healthRoutes({ store: deps.store, log: deps.log }));
  app.route("/", metricsRoutes(deps.metrics));
  app.notFound((c) =>
    answerJson(c, { code: "not_found", message: "no such route", requestId: c.get("requestId") }, 404),
  );
  app.onError(errorHandler());
  return app;
}

export function createApp(deps: AppDependencies) {
  const app = baseApp();
  const accessDeps = { ...deps, trustProxy: deps.config.trustProxy };
  const policies = deps.opsPublic ? ROUTE_POLICIES : [...ROUTE_POLICIES, ...OPS_POLICIES];
  // Before access control: a preflight carries no credential.
  if (deps.corsOrigins && deps.corsOrigins.length > 0) app.use(corsFor(deps.corsOrigins));
  for (const [path, policy] of policies) app.use(path, access(accessDeps, policy));
  // A sensor's ingest, once admitted, is not cut by the request deadline (see liftRequestDeadline).
  app.use("/ingest/*", liftRequestDeadline);

  app.route(
    "/pdns",
    circlPdnsRoutes({
      store: deps.store,
      origin: deps.config.origin,
      maxPageSize: deps.config.maxPageSize,
      maxCidr: { 4: deps.config.pdnsMaxCidr4, 6: deps.config.pdnsMaxCidr6 },
    }),
  );
  app.route(
    "/pdns",
    pdnsBulkRoutes({
      store: deps.store,
      origin: deps.config.origin,
      limiter: deps.limiter,
      maxValues: deps.config.bulkMaxValues,
      defaultLimit: 10_000,
      maxCidr: { 4: deps.config.pdnsMaxCidr4, 6: deps.config.pdnsMaxCidr6 },
    }),
  );
  const pssl = { store: deps.store, maxCidrPrefix: deps.config.psslMaxCidrPrefix };
  app.route("/v2pssl", circlPsslRoutes(pssl, { legacy: false }));
  app.route("/v2pssl", psslExtendedRoutes(pssl));
  app.route("/pssl", circlPsslRoutes(pssl, { legacy: true }));
  app.route("/dnsdb/v2", dnsdbRateLimitRoutes(deps.limiter));
  // After rate_limit: its catch-all answers DNSDB's 404 for every other path under /dnsdb/v2.
  const blockLimit = { ipv4: deps.config.pdnsMaxCidr4, ipv6: deps.config.pdnsMaxCidr6 };
  app.route(
    "/dnsdb/v2",
    dnsdbRoutes({
      store: deps.store,
      log: deps.log,
      ipBlockLimits: { admin: null, analyst: blockLimit, sensor: blockLimit },
    }),
  );
  app.route(
    "/admin",
    adminRoutes({
      accounts: deps.accounts,
      audit: deps.audit,
      jwt: deps.jwt,
      defaultQuota: deps.defaultQuota,
    }),
  );
  app.route("/admin", adminSensorRoutes(deps.sensors));
  app.route("/ingest", ingestRoutes({ store: deps.store, maxBodyBytes: deps.config.ingestMaxBytes }));
  app.route("/auth", authTokenRoutes(deps.jwt, deps.jwtTtlSeconds));
  app.route("/auth", jwksRoutes(deps.jwt));
  app.route("/", healthRoutes({ store: deps.store, log: deps.log }));
  app.route("/", metricsRoutes());
  app.route("/", docsRoutes({ version: deps.version }));
  app.route("/", uiRoutes());
  app.route(
    "/",
    d4PdnsRoutes({
      store: deps.store,
      origin: deps.config.origin,
      version: deps.version,
      ingest: deps.ingest,
    }),
  );

  app.notFound((c) =>
    answerJson(c, { code: "not_found", message: "no such route", requestId: c.get("requestId") }, 404),
  );
  app.onError(errorHandler());
  return app;
}
