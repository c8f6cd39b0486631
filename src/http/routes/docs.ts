/**
 * The API's documentation, public: `GET /openapi.json` (the OpenAPI 3.1 document, the same text as
 * openapi/openapi.json) and `GET /docs`, an interactive page (Swagger UI) that works with no Internet
 * access: its script, style sheet and icons come from the swagger-ui-dist package (a dependency, so a
 * production install has it) and are served from here, under `/docs/<file>`. The page's own start-up
 * code is a served script too, so the Content-Security-Policy allows no inline script.
 *
 * Files are read once, on first request, and kept (about 2 MB, gzip-compressed once for the clients that
 * accept it); every answer carries an ETag, and If-None-Match gets a 304.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { type Context, Hono } from "hono";
import { ApiError } from "../errors.js";
import { openApiText } from "../openapi/openapi-document.js";
import type { RequestEnv } from "../request-env.js";

/** What the page may load: only this server's files (and data: images, which Swagger UI's CSS uses). */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

/** The page. Paths are relative (served at /docs), so the page also works behind a path prefix. */
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>pdns-pssl API</title>
    <link rel="stylesheet" href="docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="docs/favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="docs/favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="docs/swagger-ui-bundle.js"></script>
    <script src="docs/init.js"></script>
  </body>
</html>
`;

/**
 * The page's start-up script. validatorUrl null: Swagger UI would otherwise send the document to an
 * online validator (a request to another host, and one that fails offline).
 */
const INIT = `"use strict";
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  defaultModelsExpandDepth: 0,
  displayOperationId: false,
  tryItOutEnabled: false,
});
`;

const JS = "text/javascript; charset=utf-8";

/** The files of /docs/<file>: Swagger UI's, by their name in swagger-ui-dist, and ours. */
const PACKAGE_FILES: Record<string, string> = {
  "swagger-ui-bundle.js": JS,
  "swagger-ui.css": "text/css; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

interface Served {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
  etag: string;
}

function served(body: Buffer, type: string): Served {
  const compressible = !type.startsWith("image/");
  return {
    body,
    gzipped: compressible ? gzipSync(body, { level: 9 }) : undefined,
    type,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
  };
}

/** Where swagger-ui-dist is installed (it has no `exports`: its package.json resolves). */
function swaggerUiDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
}

function send(
  c: Context<RequestEnv>,
  file: Served,
  cacheControl: string,
  extra: Record<string, string> = {},
): Response {
  const headers: Record<string, string> = {
    ...(c.get("responseHeaders") ?? {}),
    ...SECURITY_HEADERS,
    ...extra,
    "content-type": file.type,
    "cache-control": cacheControl,
    etag: file.etag,
    vary: "accept-encoding",
  };
  const match = c.req.header("if-none-match");
  if (match?.split(",").some((tag) => tag.trim().replace(/^W\//, "") === file.etag)) {
    return new Response(null, { status: 304, headers });
  }
  const gzip = file.gzipped !== undefined && /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
  if (gzip) headers["content-encoding"] = "gzip";
  const body = gzip ? (file.gzipped as Buffer) : file.body;
  headers["content-length"] = String(body.byteLength);
  return new Response(c.req.method === "HEAD" ? null : new Uint8Array(body), { status: 200, headers });
}

export interface DocsRouteOptions {
  version: string;
}

export function docsRoutes(options: DocsRouteOptions) {
  const app = new Hono<RequestEnv>();
  let document: Served | undefined;
  let page: Served | undefined;
  const files = new Map<string, Promise<Served>>();

  const load = (name: string): Promise<Served> | undefined => {
    let file = files.get(name);
    if (file) return file;
    if (name === "init.js") file = Promise.resolve(served(Buffer.from(INIT), JS));
    else {
      const type = PACKAGE_FILES[name];
      if (type === undefined) return undefined;
      file = readFile(join(swaggerUiDirectory(), name)).then((body) => served(body, type));
      // A failed read is not cached: the next request tries again.
      file.catch(() => files.delete(name));
    }
    files.set(name, file);
    return file;
  };

  app.get("/openapi.json", (c) => {
    document ??= served(Buffer.from(openApiText(options.version)), "application/json; charset=utf-8");
    return send(c, document, "no-cache", { "access-control-allow-origin": "*" });
  });

  app.get("/docs", (c) => {
    page ??= served(Buffer.from(PAGE), "text/html; charset=utf-8");
    return send(c, page, "no-cache", { "content-security-policy": DOCS_CSP });
  });

  app.get("/docs/:asset", async (c) => {
    const file = load(c.req.param("asset"));
    if (!file) throw new ApiError(404, "not_found", "no such file");
    // Swagger UI's files change only with the package: an hour, then revalidated by ETag.
    return send(c, await file, "public, max-age=3600");
  });

  return app;
}
