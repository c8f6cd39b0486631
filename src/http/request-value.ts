import { ApiError } from "./errors.js";

/**
 * The raw remainder of the URL path after `prefix`, percent-decoded once. Clients send IPv6 colons and
 * wildcards both raw and encoded; a malformed escape is the client's error, not ours.
 */
export function pathRemainder(url: string, prefix: string): string {
  const path = new URL(url).pathname;
  const at = path.indexOf(prefix);
  const raw = at < 0 ? "" : path.slice(at + prefix.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, "bad_request", "malformed percent-encoding in the path");
  }
}
