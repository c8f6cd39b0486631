/**
 * The admin API: users, their tokens and quotas, the audit log and JWT signing keys. JSON in and out,
 * every body validated by zod, every failure in the common error shape. The same operations are in
 * the CLI (`pdns-pssl users|tokens|quotas|audit|jwt`), both through Accounts, AuditLog and JwtService.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { AuditCursorError, type AuditLog } from "../../audit/audit-log.js";
import { parseTimeBound, TimeBoundError } from "../../audit/time-bound.js";
import { tokenJson, userJson } from "../../auth/account-json.js";
import { AccountError, type Accounts, type Quota, ROLES, type User } from "../../auth/accounts.js";
import { parseDuration } from "../../auth/duration.js";
import type { JwtService } from "../../auth/jwt.js";
import type { EffectiveQuota } from "../../auth/quota.js";
import { ApiError, badRequest } from "../errors.js";
import { describeIssues, jsonBody } from "../json-body.js";
import { answer, answerJson, noteQueryValue, noteResults, type RequestEnv } from "../request-env.js";

export interface AdminRouteOptions {
  accounts: Accounts;
  audit: AuditLog;
  jwt: JwtService;
  defaultQuota: EffectiveQuota;
}

const limit = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();
const duration = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const seconds = parseDuration(value);
  if (seconds === undefined) {
    ctx.addIssue({ code: "custom", message: "expected seconds, or digits with s, m, h, d or w (e.g. 30d)" });
    return z.NEVER;
  }
  return seconds;
});

// Bodies and query parameters, exported for the OpenAPI document (src/http/openapi), which describes the
// routes with these very schemas.
export const newUserSchema = z.strictObject({ name: z.string(), role: z.enum(ROLES).default("analyst") });
export const userChangeSchema = z
  .strictObject({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() })
  .refine((change) => change.role !== undefined || change.disabled !== undefined, {
    message: "give role, disabled or both",
  });
export const newTokenSchema = z.strictObject({
  label: z.string().max(200).optional(),
  expires_in: duration.optional(),
});
export const quotaBodySchema = z.strictObject({
  daily: limit.optional(),
  burst_size: limit.optional(),
  burst_window: z.number().int().positive().max(86_400).optional(),
  results_max: limit.optional(),
});
export const auditQuerySchema = z.strictObject({
  user: z.string().optional(),
  since: z.string().optional(),
  until: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
});

/** An AccountError as the HTTP status that fits it. */
function accountFailure(error: AccountError): ApiError {
  const status = {
    user_exists: 409,
    last_admin: 409,
    no_such_user: 404,
    no_such_token: 404,
    invalid_name: 400,
    invalid_role: 400,
    invalid_expiry: 400,
  } as const;
  return new ApiError(status[error.code], error.code, error.message);
}

async function accountCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AccountError) throw accountFailure(error);
    throw error;
  }
}

function timeBound(text: string | undefined, name: string): number | undefined {
  try {
    return parseTimeBound(text, name);
  } catch (error) {
    if (error instanceof TimeBoundError) throw badRequest(error.message);
    throw error;
  }
}

function nameParam(c: Context<RequestEnv>): string {
  const name = c.req.param("name") ?? "";
  noteQueryValue(c, name);
  return name;
}

export function adminRoutes(options: AdminRouteOptions) {
  const { accounts, audit, jwt, defaultQuota } = options;
  const app = new Hono<RequestEnv>();
  const show = (user: User) => userJson(user, defaultQuota);

  app.post("/users", async (c) => {
    const body = await jsonBody(c, newUserSchema);
    noteQueryValue(c, body.name);
    const user = await accountCall(() => accounts.addUser(body.name, body.role));
    return answerJson(c, show(user), 201);
  });

  app.get("/users", async (c) => {
    const users = await accounts.listUsers();
    noteResults(c, users.length);
    return answerJson(c, { users: users.map(show) });
  });

  app.get("/users/:name", async (c) => {
    const name = nameParam(c);
    const user = await accounts.getUser(name);
    if (!user) throw new ApiError(404, "no_such_user", `no user ${name}`);
    return answerJson(c, show(user));
  });

  app.patch("/users/:name", async (c) => {
    const name = nameParam(c);
    const change = await jsonBody(c, userChangeSchema);
    return answerJson(c, show(await accountCall(() => accounts.updateUser(name, change))));
  });

  app.delete("/users/:name", async (c) => {
    const name = nameParam(c);
    await accountCall(() => accounts.deleteUser(name));
    return answer(c, null, 204);
  });

  app.post("/users/:name/tokens", async (c) => {
    const name = nameParam(c);
    const body = await jsonBody(c, newTokenSchema);
    const expiresAt =
      body.expires_in === undefined ? undefined : new Date(Date.now() + body.expires_in * 1000);
    const created = await accountCall(() => accounts.createToken(name, body.label ?? "", expiresAt));
    return answerJson(
      c,
      {
        id: created.id,
        token: created.token,
        user: name,
        label: created.label,
        created_at: created.createdAt,
        expires_at: created.expiresAt ?? null,
      },
      201,
    );
  });

  app.get("/users/:name/tokens", async (c) => {
    const name = nameParam(c);
    const tokens = await accountCall(() => accounts.listTokens(name));
    noteResults(c, tokens.length);
    return answerJson(c, { tokens: tokens.map(tokenJson) });
  });

  app.delete("/users/:name/tokens/:id", async (c) => {
    const name = nameParam(c);
    const id = c.req.param("id");
    noteQueryValue(c, `${name}/${id}`);
    await accountCall(() => accounts.revokeToken(name, id));
    return answer(c, null, 204);
  });

  app.get("/users/:name/quota", async (c) => {
    const name = nameParam(c);
    const user = await accounts.getUser(name);
    if (!user) throw new ApiError(404, "no_such_user", `no user ${name}`);
    const shown = show(user);
    return answerJson(c, { quota: shown.quota, limits: shown.limits });
  });

  app.put("/users/:name/quota", async (c) => {
    const name = nameParam(c);
    const body = await jsonBody(c, quotaBodySchema);
    const quota: Quota = {
      ...(body.daily === undefined ? {} : { daily: body.daily }),
      ...(body.burst_size === undefined ? {} : { burstSize: body.burst_size }),
      ...(body.burst_window === undefined ? {} : { burstWindow: body.burst_window }),
      ...(body.results_max === undefined ? {} : { resultsMax: body.results_max }),
    };
    const shown = show(await accountCall(() => accounts.setQuota(name, quota)));
    return answerJson(c, { quota: shown.quota, limits: shown.limits });
  });

  app.get("/audit", async (c) => {
    const parsed = auditQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw badRequest(describeIssues(parsed.error));
    const query = parsed.data;
    noteQueryValue(c, query.user ?? "");
    try {
      const page = await audit.read({
        user: query.user,
        sinceMs: timeBound(query.since, "since"),
        untilMs: timeBound(query.until, "until"),
        limit: query.limit,
        cursor: query.cursor,
      });
      noteResults(c, page.entries.length);
      return answerJson(c, { entries: page.entries, cursor: page.cursor ?? null });
    } catch (error) {
      if (error instanceof AuditCursorError) throw badRequest(error.message);
      throw error;
    }
  });

  app.post("/jwt/rotate", async (c) => {
    const { kid } = await jwt.rotate();
    noteQueryValue(c, kid);
    return answerJson(c, { kid });
  });

  return app;
}
