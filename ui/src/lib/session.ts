/**
 * Who is signed in. Sign-in exchanges user + API token for a short-lived JWT (`POST /auth/token`) and asks
 * `GET /auth/me` for the role; the API token itself is never kept. The JWT, the user, the role and the
 * expiry live in sessionStorage: gone when the tab closes, and useless after expires_at.
 */

export type Role = "admin" | "analyst" | "sensor";

export interface Session {
  user: string;
  role: Role;
  jwt: string;
  /** ISO 8601. */
  expiresAt: string;
}

const KEY = "pdns-pssl.session";

/** The current session, unless there is none or it has expired. */
export function currentSession(): Session | undefined {
  const text = sessionStorage.getItem(KEY);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as Session;
    if (Date.parse(session.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return undefined;
    }
    return session;
  } catch {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
}

export function endSession(): void {
  sessionStorage.removeItem(KEY);
}

/** Basic credentials for user:token, UTF-8 safe. */
function basic(user: string, token: string): string {
  const bytes = new TextEncoder().encode(`${user}:${token}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `Basic ${btoa(binary)}`;
}

/** Why sign-in failed, in words for the form. */
export class SignInError extends Error {}

/** Exchanges the API token for a JWT and keeps the session; the token is not kept. */
export async function signIn(user: string, token: string, lifetime = "1h"): Promise<Session> {
  const exchange = await fetch("/auth/token", {
    method: "POST",
    headers: { authorization: basic(user, token), "content-type": "application/json" },
    body: JSON.stringify({ expires_in: lifetime }),
  });
  if (exchange.status === 401) throw new SignInError("Unknown user, or a wrong, revoked or expired token.");
  if (exchange.status === 429)
    throw new SignInError("Too many failed attempts: wait a minute and try again.");
  if (!exchange.ok) throw new SignInError(`The server refused the sign-in (HTTP ${exchange.status}).`);
  const issued = (await exchange.json()) as { token: string; expires_at: string };
  const me = await fetch("/auth/me", { headers: { authorization: `Bearer ${issued.token}` } });
  if (!me.ok) throw new SignInError(`The server did not accept its own JWT (HTTP ${me.status}).`);
  const who = (await me.json()) as { user: string; role: Role };
  if (who.role === "sensor") throw new SignInError("Sensor accounts feed data; they cannot use these pages.");
  const session: Session = {
    user: who.user,
    role: who.role,
    jwt: issued.token,
    expiresAt: issued.expires_at,
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}
