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
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { ApiError } from "../errors.js";
import { openApiText } from "../openapi/openapi-document.js";
import type { RequestEnv } from "../request-env.js";
import { CSS_TYPE, HTML_TYPE, JS_TYPE, type ServedFile, sendFile, servedFile } from "../static-file.js";

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

/** The files of /docs/<file>: Swagger UI's, by their name in swagger-ui-dist, and ours. */
const PACKAGE_FILES: Record<string, string> = {
  "swagger-ui-bundle.js": JS_TYPE,
  "swagger-ui.css": CSS_TYPE,
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/** Where swagger-ui-dist is installed (it has no `exports`: its package.json resolves). */
function swaggerUiDirectory(): string {
  return dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
}

export interface DocsRouteOptions {
  version: string;
}

export function docsRoutes(options: DocsRouteOptions) {
  const app = new Hono<RequestEnv>();
  let document: ServedFile | undefined;
  let page: ServedFile | undefined;
  const files = new Map<string, Promise<ServedFile>>();

  const load = (name: string): Promise<ServedFile> | undefined => {
    let file = files.get(name);
    if (file) return file;
    if (name === "init.js") file = Promise.resolve(servedFile(Buffer.from(INIT), JS_TYPE));
    else {
      const type = PACKAGE_FILES[name];
      if (type === undefined) return undefined;
      file = readFile(join(swaggerUiDirectory(), name)).then((body) => servedFile(body, type));
      // A failed read is not cached: the next request tries again.
      file.catch(() => files.delete(name));
    }
    files.set(name, file);
    return file;
  };

  app.get("/openapi.json", (c) => {
    document ??= servedFile(Buffer.from(openApiText(options.version)), "application/json; charset=utf-8");
    return sendFile(c, document, "no-cache", { "access-control-allow-origin": "*" });
  });

  app.get("/docs", (c) => {
    page ??= servedFile(Buffer.from(PAGE), HTML_TYPE);
    return sendFile(c, page, "no-cache", { "content-security-policy": DOCS_CSP });
  });

  app.get("/docs/:asset", async (c) => {
    const file = load(c.req.param("asset"));
    if (!file) throw new ApiError(404, "not_found", "no such file");
    // Swagger UI's files change only with the package: an hour, then revalidated by ETag.
    return sendFile(c, await file, "public, max-age=3600");
  });

  return app;
}
