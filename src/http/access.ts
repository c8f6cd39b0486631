/**
 * Access control for every protected route, in one middleware: who is asking (API token, our JWT or
 * the identity provider's), whether their address is locked out for failed attempts, whether their role
 * fits the route, whether their quota allows one more query, and an audit entry for what happened.
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import type { AuditLog } from "../audit/audit-log.js";
import type { Accounts, Principal, Role } from "../auth/accounts.js";
import type { AuthFailureGuard } from "../auth/auth-failures.js";
import { type Credential, parseCredentials } from "../auth/credentials.js";
import type { JwtService } from "../auth/jwt.js";
import { type EffectiveQuota, effectiveQuota, type RateLimiter, rateLimitHeaders } from "../auth/quota.js";
import { ApiError } from "./errors.js";
import { addResponseHeaders, type RequestEnv } from "./request-env.js";

/** What a route needs: the roles allowed in (admin always is), and whether a request counts as a query. */
export interface RoutePolicy {
  roles: readonly Role[];
  /** Counted against the daily quota and the burst limit. */
  metered: boolean;
  /** Written to the audit log. */
  audited: boolean;
}

export interface AccessDependencies {
  accounts: Accounts;
  jwt: JwtService;
  limiter: RateLimiter;
  failures: AuthFailureGuard;
  audit: AuditLog;
  defaultQuota: EffectiveQuota;
  trustProxy: boolean;
  log: (message: string) => void;
}

const CHALLENGE = 'Basic realm="pdns-pssl"';

/**
 * The client's address: the socket peer, or behind a trusted proxy the last X-Forwarded-For entry —
 * the one that proxy appended; entries before it are whatever the client chose to send.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("X-Forwarded-For")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    // Not served by @hono/node-server (app.fetch called directly): there is no socket.
    return "unknown";
  }
}

/** Middleware enforcing `policy` on the routes it is mounted on. */
export function access(deps: AccessDependencies, policy: RoutePolicy): MiddlewareHandler<RequestEnv> {
  if (policy.roles.length === 0) throw new Error("a route policy needs at least one role");
  const allowed = new Set<Role>(["admin", ...policy.roles]);

  return async function checkAccess(c, next) {
    const address = clientAddress(c, deps.trustProxy);
    const credential = parseCredentials({
      authorization: c.req.header("Authorization"),
      apiKey: c.req.header("X-API-Key"),
    });
    // The lockout check and the credential lookup are independent: one round trip for both.
    const [wait, principal] = await Promise.all([
      deps.failures.waitSeconds(address),
      credential ? authenticate(deps, credential) : undefined,
    ]);
    if (wait > 0) {
      throw new ApiError(
        429,
        "too_many_failures",
        `too many failed authentications from ${address}; retry later`,
        {
          "Retry-After": String(wait),
        },
      );
    }
    if (!principal) {
      if (credential) {
        await deps.failures.recordFailure(address);
        // The log names the address and the kind of credential, never what was sent.
        deps.log(`authentication failed from ${address} (${credential.kind} credential) for ${c.req.path}`);
      }
      // The message never echoes what was sent: it may be a mistyped secret.
      const message = credential ? "invalid, expired or revoked credentials" : "credentials required";
      throw new ApiError(401, "unauthorized", message, { "WWW-Authenticate": CHALLENGE });
    }
    c.set("principal", principal);
    const quota = effectiveQuota(principal.quota, deps.defaultQuota);
    c.set("quota", quota);
    const started = Date.now();
    try {
      if (!allowed.has(principal.role)) {
        throw new ApiError(403, "forbidden", `role ${principal.role} may not use this route`);
      }
      if (policy.metered) {
        const status = await deps.limiter.take(principal.user, quota);
        const headers = rateLimitHeaders(status);
        if (!status.allowed) {
          throw new ApiError(429, "quota_exceeded", quotaMessage(status.daily?.remaining === 0), {
            ...headers,
            "Retry-After": String(status.retryAfter ?? 1),
          });
        }
        addResponseHeaders(c, headers);
      }
    } catch (error) {
      if (policy.audited && error instanceof ApiError) {
        deps.audit.record(auditEntry(c, principal, address, started, error.status, null));
      }
      throw error;
    }
    await next();
    if (policy.audited) auditWhenDone(c, deps.audit, principal, address, started);
  };
}

function quotaMessage(daily: boolean): string {
  return daily ? "daily query quota exhausted; it renews at 00:00 UTC" : "too many queries; slow down";
}

async function authenticate(
  deps: AccessDependencies,
  credential: Credential,
): Promise<Principal | undefined> {
  if (credential.kind !== "bearer") return deps.accounts.authenticate(credential);
  let verified: Awaited<ReturnType<JwtService["verify"]>>;
  try {
    verified = await deps.jwt.verify(credential.jwt);
  } catch (error) {
    // The token may be fine: it is the means of checking it (the provider's JWKS) that failed.
    deps.log(`JWT check failed: ${(error as Error).message}`);
    throw new ApiError(
      503,
      "unavailable",
      "cannot check the bearer token now (identity provider unreachable)",
    );
  }
  if (!verified) return undefined;
  return verified.kind === "local"
    ? deps.accounts.authenticateIssued(verified.user, verified.tokenId)
    : deps.accounts.authenticateExternal(verified.user, verified.role);
}

function auditEntry(
  c: Context<RequestEnv>,
  principal: Principal,
  address: string,
  started: number,
  status: number,
  results: number | null,
  aborted = false,
) {
  const value = c.get("auditValue") ?? "";
  return {
    time: new Date(started).toISOString(),
    user: principal.user,
    token_id: principal.tokenId,
    method: c.req.method,
    route: routeOf(c.req.path, value),
    value,
    results,
    status,
    client_ip: address,
    request_id: c.get("requestId"),
    ...(aborted ? { aborted } : {}),
  };
}

/** The path without the value at its end: `/pdns/query/` for `/pdns/query/www.example.lu`. */
function routeOf(path: string, value: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path).replace(/\/$/, "");
  } catch {
    // A malformed escape: keep the path as sent.
  }
  return value !== "" && decoded.endsWith(value) ? decoded.slice(0, decoded.length - value.length) : decoded;
}

/** Records the audit entry once the answer is complete: at once, or when a streamed answer ends. */
function auditWhenDone(
  c: Context<RequestEnv>,
  audit: AuditLog,
  principal: Principal,
  address: string,
  started: number,
): void {
  const status = c.res.status;
  const stream = c.get("auditStream");
  if (!stream) {
    audit.record(auditEntry(c, principal, address, started, status, c.get("auditResults") ?? null));
    return;
  }
  void stream.then((outcome) =>
    audit.record(auditEntry(c, principal, address, started, status, outcome.lines, outcome.aborted)),
  );
}
