/**
 * Files the app serves from memory (the /docs page and its Swagger UI files, the /ui pages' bundle): each
 * kept with its gzip form and a strong ETag, answered with 304 to a matching If-None-Match, gzip to the
 * clients that accept it, and the headers every page and file of ours carries.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { Context } from "hono";
import { type RequestEnv, SECURITY_HEADERS } from "./request-env.js";

/** A file ready to send. */
export interface ServedFile {
  body: Buffer;
  gzipped: Buffer | undefined;
  type: string;
  etag: string;
}

/** On every page and file, besides every answer's headers: not framed, not read by other sites' pages. */
const PAGE_HEADERS = {
  ...SECURITY_HEADERS,
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

export const JS_TYPE = "text/javascript; charset=utf-8";
export const CSS_TYPE = "text/css; charset=utf-8";
export const HTML_TYPE = "text/html; charset=utf-8";

/** A file's body as served: gzip-compressed once (images are not), and its ETag. */
export function servedFile(body: Buffer, type: string): ServedFile {
  const compressible = !type.startsWith("image/");
  return {
    body,
    gzipped: compressible ? gzipSync(body, { level: 9 }) : undefined,
    type,
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
  };
}

/** The answer for a file: 304 when the client has it, else the body (gzip when accepted; none for HEAD). */
export function sendFile(
  c: Context<RequestEnv>,
  file: ServedFile,
  cacheControl: string,
  extra: Record<string, string> = {},
): Response {
  const headers: Record<string, string> = {
    ...(c.get("responseHeaders") ?? {}),
    ...PAGE_HEADERS,
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
