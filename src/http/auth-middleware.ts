import type { MiddlewareHandler } from "hono";
import type { Accounts, Principal, Role } from "../auth/accounts.js";
import { parseCredentials } from "../auth/credentials.js";
import { ApiError } from "./errors.js";

/** Hono variables set by requireRole: the authenticated principal. */
export type AuthVariables = { principal: Principal };

const CHALLENGE = 'Basic realm="pdns-pssl"';

/**
 * Middleware that lets a request through only with a valid credential whose user has one of `roles`
 * (admin always passes): 401 with a Basic challenge when the credential is missing or refused, 403
 * when the role does not fit (thrown as ApiError, answered in the common error shape). Sets
 * `principal` for the handlers after it.
 */
export function requireRole(
  accounts: Accounts,
  roles: readonly Role[],
): MiddlewareHandler<{ Variables: AuthVariables }> {
  if (roles.length === 0) throw new Error("requireRole needs at least one role");
  const allowed = new Set<Role>(["admin", ...roles]);
  return async function requireRole(c, next) {
    const credential = parseCredentials({
      authorization: c.req.header("Authorization"),
      apiKey: c.req.header("X-API-Key"),
    });
    const principal = credential && (await accounts.authenticate(credential));
    if (!principal) {
      // The message never echoes what was sent: it may be a mistyped secret.
      const message = credential ? "invalid or revoked credentials" : "credentials required";
      c.header("WWW-Authenticate", CHALLENGE);
      throw new ApiError(401, "unauthorized", message);
    }
    if (!allowed.has(principal.role)) {
      throw new ApiError(403, "forbidden", `role ${principal.role} may not use this route`);
    }
    c.set("principal", principal);
    await next();
  };
}
