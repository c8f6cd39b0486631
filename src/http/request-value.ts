import { ApiError } from "./errors.js";

/**
 * The raw remainder of the URL path after `prefix`, percent-decoded once, without one trailing `/`.
 * Clients send IPv6 colons and wildcards both raw and encoded. Undefined when an escape is malformed.
 */
export function tryPathRemainder(url: string, prefix: string): string | undefined {
  const path = new URL(url).pathname;
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
