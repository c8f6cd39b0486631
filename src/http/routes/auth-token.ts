/**
 * `POST /auth/token`: exchanges an API token for a short-lived signed JWT, usable as
 * `Authorization: Bearer`; `GET /auth/me`: who the credential is (the web pages ask, to know what to
 * show); `GET /auth/jwks.json`: the public keys that check those JWTs.
 */
import { Hono } from "hono";
import { z } from "zod";
import { parseDuration } from "../../auth/duration.js";
import type { JwtService } from "../../auth/jwt.js";
import { badRequest } from "../errors.js";
import { jsonBody } from "../json-body.js";
import { answerJson, type RequestEnv } from "../request-env.js";

/** The body (also the OpenAPI document's description of it). */
export const exchangeSchema = z.strictObject({
  expires_in: z.union([z.number(), z.string()]).optional(),
});

/** The exchange route; access control in front of it has already authenticated the caller. */
export function authTokenRoutes(jwt: JwtService, defaultTtlSeconds: number) {
  const app = new Hono<RequestEnv>();
  app.post("/token", async (c) => {
    const principal = c.get("principal");
    // A JWT is not exchanged for another: its lifetime must stay bounded by the API token behind it.
    if (principal.method !== "token") throw badRequest("exchange an API token, not a JWT");
    const body = await jsonBody(c, exchangeSchema);
    let ttl: number | undefined;
    if (body.expires_in !== undefined) {
      ttl = parseDuration(body.expires_in);
      if (ttl === undefined) throw badRequest("expires_in: expected seconds, or digits with s, m, h, d or w");
    }
    // A JWT never outlives the API token it came from (that is checked on every request anyway; this
    // makes expires_at tell the truth).
    if (principal.expiresAt !== undefined) {
      const left = Math.floor((Date.parse(principal.expiresAt) - Date.now()) / 1000);
      ttl = Math.max(1, Math.min(ttl ?? defaultTtlSeconds, left));
    }
    const issued = await jwt.issue({ user: principal.user, tokenId: principal.tokenId }, ttl);
    return answerJson(c, {
      token: issued.token,
      token_type: "Bearer",
      expires_at: issued.expiresAt.toISOString(),
    });
  });
  app.get("/me", (c) => {
    const principal = c.get("principal");
    return answerJson(c, {
      user: principal.user,
      role: principal.role,
      method: principal.method,
      expires_at: principal.expiresAt ?? null,
    });
  });
  return app;
}

/** The public JWKS (no authentication: public keys are meant to be fetched by anyone). */
export function jwksRoutes(jwt: JwtService) {
  const app = new Hono<RequestEnv>();
  app.get("/jwks.json", async (c) => answerJson(c, await jwt.jwks(), 200, { "cache-control": "max-age=60" }));
  return app;
}
