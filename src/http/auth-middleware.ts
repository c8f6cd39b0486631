import type { MiddlewareHandler } from "hono";
import type { Accounts, Principal, Role } from "../auth/accounts.js";
import { parseCredentials } from "../auth/credentials.js";

/** Hono variables set by requireRole: the authenticated principal. */
export type AuthVariables = { principal: Principal };

const CHALLENGE = 'Basic realm="pdns-pssl"';

/**
 * Middleware that lets a request through only with a valid credential whose user has one of `roles`
 * (admin always passes): 401 with a Basic challenge when the credential is missing or refused, 403
 * when the role does not fit. Sets `principal` for the handlers after it.
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
      return c.json({ code: "unauthorized", message }, 401);
    }
    if (!allowed.has(principal.role)) {
      return c.json({ code: "forbidden", message: `role ${principal.role} may not use this route` }, 403);
    }
    c.set("principal", principal);
    await next();
  };
}
