/** The HTTP application: every route, its authentication, and the one place errors become responses. */
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { Accounts } from "../auth/accounts.js";
import type { Config } from "../config.js";
import type { Store } from "../store/types.js";
import { type AuthVariables, requireRole } from "./auth-middleware.js";
import { errorHandler } from "./errors.js";
import { circlPdnsRoutes } from "./routes/circl-pdns.js";
import { circlPsslRoutes } from "./routes/circl-pssl.js";
import { d4PdnsRoutes } from "./routes/d4-pdns.js";
import { psslExtendedRoutes } from "./routes/pssl-extended.js";

export interface AppDependencies {
  store: Store;
  accounts: Accounts;
  config: Pick<Config, "origin" | "maxPageSize" | "psslMaxCidrPrefix">;
  version: string;
  log: (message: string) => void;
}

export function createApp(deps: AppDependencies) {
  const app = new Hono<{ Variables: AuthVariables & { requestId: string } }>();
  app.use(requestId());

  const analyst = requireRole(deps.accounts, ["analyst"]);
  for (const path of ["/pdns/*", "/query/*", "/fquery/*", "/info", "/v2pssl/*", "/pssl/*"])
    app.use(path, analyst);

  app.route(
    "/pdns",
    circlPdnsRoutes({ store: deps.store, origin: deps.config.origin, maxPageSize: deps.config.maxPageSize }),
  );
  const pssl = { store: deps.store, maxCidrPrefix: deps.config.psslMaxCidrPrefix };
  app.route("/v2pssl", circlPsslRoutes(pssl, { legacy: false }));
  app.route("/v2pssl", psslExtendedRoutes(pssl));
  app.route("/pssl", circlPsslRoutes(pssl, { legacy: true }));
  app.route("/", d4PdnsRoutes({ store: deps.store, origin: deps.config.origin, version: deps.version }));

  app.notFound((c) =>
    c.json({ code: "not_found", message: "no such route", requestId: c.get("requestId") }, 404),
  );
  app.onError(errorHandler(deps.log));
  return app;
}
