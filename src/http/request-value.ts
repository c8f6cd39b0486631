import type { Context } from "hono";
import { ApiError } from "./errors.js";
import { noteQueryValue, type RequestEnv } from "./request-env.js";

/** The path of an absolute URL as sent (no query), without the cost of a full URL parse. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return query < 0 ? url.slice(start) : url.slice(start, query);
}

/**
 * The raw remainder of the URL path after `prefix`, percent-decoded once, without one trailing `/`.
 * Clients send IPv6 colons and wildcards both raw and encoded. Undefined when an escape is malformed.
 */
export function tryPathRemainder(url: string, prefix: string): string | undefined {
  const path = pathOf(url);
  const at = path.indexOf(prefix);
  const raw = at < 0 ? "" : path.slice(at + prefix.length).replace(/\/$/, "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** tryPathRemainder, answering a malformed escape with the JSON 400 (it is the client's error). */
export function pathRemainder(url: string, prefix: string): string {
  const value = tryPathRemainder(url, prefix);
  if (value === undefined) throw new ApiError(400, "bad_request", "malformed percent-encoding in the path");
  return value;
}

/** The value a query route was asked about (pathRemainder), noted for the audit log. */
export function queryValue(c: Context<RequestEnv>, prefix: string): string {
  const value = pathRemainder(c.req.url, prefix);
  noteQueryValue(c, value);
  return value;
}

/** tryPathRemainder on the request, noted for the audit log when it decodes. */
export function tryQueryValue(c: Context<RequestEnv>, prefix: string): string | undefined {
  const value = tryPathRemainder(c.req.url, prefix);
  noteQueryValue(c, value ?? c.req.path);
  return value;
}
