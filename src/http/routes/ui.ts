/**
 * The web pages (`/ui/`), public like /docs: the pages themselves hold nothing; every datum comes from the
 * API with the signed-in user's JWT. One HTML shell answers every page path (`/ui/`, `/ui/search?q=...`,
 * `/ui/admin/users`...: the client routes by the URL, so a search is a link to share); the client is one
 * script and one style sheet, built from ui/ by `npm run build` (scripts/build-ui.mjs) into dist/ui/ and
 * served from memory under `/ui/assets/`. The Content-Security-Policy allows this server's files only: no
 * inline script or style, no other host.
 */
import { readFile } from "node:fs/promises";
import { Hono } from "hono";
import { ApiError } from "../errors.js";
import type { RequestEnv } from "../request-env.js";
import { CSS_TYPE, HTML_TYPE, JS_TYPE, type ServedFile, sendFile, servedFile } from "../static-file.js";

/** What the pages may load and reach: this server, and data:/blob: images (exported files are blob: links). */
export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** The built files: where scripts/build-ui.mjs writes them, from src/ (tsx) as from dist/ (node). */
export const UI_BUILD_DIR = new URL("../../../dist/ui/", import.meta.url);

/** The files under /ui/assets/, by name: the bundle esbuild writes. */
const ASSETS: Record<string, string> = {
  "app.js": JS_TYPE,
  "app.js.map": "application/json; charset=utf-8",
  "app-style.css": CSS_TYPE,
};

const SHELL = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>pdns-pssl</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/ui/assets/app-style.css">
    <script type="module" src="/ui/assets/app.js"></script>
  </head>
  <body>
    <div id="app" aria-live="polite"><p class="boot">Loading…</p></div>
    <noscript>These pages need JavaScript. The same data is on the API: see /docs.</noscript>
  </body>
</html>
`;

export interface UiRouteOptions {
  /** Where the built files are (default dist/ui of this package). */
  buildDir?: URL;
}

export function uiRoutes(options: UiRouteOptions = {}) {
  const dir = options.buildDir ?? UI_BUILD_DIR;
  const app = new Hono<RequestEnv>();
  const shell = servedFile(Buffer.from(SHELL), HTML_TYPE);
  const files = new Map<string, Promise<ServedFile>>();

  const load = (name: string): Promise<ServedFile> | undefined => {
    const type = ASSETS[name];
    if (type === undefined) return undefined;
    let file = files.get(name);
    if (!file) {
      file = readFile(new URL(name, dir)).then((body) => servedFile(body, type));
      // A failed read (not built yet) is not cached: the next request tries again.
      file.catch(() => files.delete(name));
      files.set(name, file);
    }
    return file;
  };

  app.get("/ui", (c) => c.redirect("/ui/", 308));

  app.get("/ui/assets/:asset", async (c) => {
    const file = load(c.req.param("asset"));
    if (!file) throw new ApiError(404, "not_found", "no such file");
    try {
      // Names are fixed and the ETag follows the content: revalidated on every load, 304 when unchanged.
      return sendFile(c, await file, "no-cache");
    } catch {
      throw new ApiError(
        503,
        "ui_not_built",
        "the web pages are not built: run npm run build (or node scripts/build-ui.mjs)",
      );
    }
  });

  app.get("/ui/*", (c) => sendFile(c, shell, "no-cache", { "content-security-policy": UI_CSP }));

  return app;
}
