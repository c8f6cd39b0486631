/**
 * What a request presented: a Basic `user:token` pair, an API token that must name its user by itself,
 * or a bearer JWT.
 */
export type Credential =
  | { kind: "basic"; user: string; token: string }
  | { kind: "token"; token: string }
  | { kind: "bearer"; jwt: string };

const BEARER_PATTERN = /^bearer[ \t]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i;

const BASIC_PATTERN = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})$/i;
// Only our own token shape counts as a bare token, so other schemes stay apart.
const BARE_TOKEN_PATTERN = /^pps_\S+$/;
// ignoreBOM keeps a leading U+FEFF: the user-id is exactly what was sent, never a shorter name.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Reads the credential from the `Authorization` header (HTTP Basic, a bare token with no scheme as
 * PyPDNS and PyPSSL send it, or `Bearer <JWT>`) or from `X-API-Key` (dnsdbq). When `Authorization` is present it decides
 * alone: a malformed one is not rescued by an `X-API-Key`. Undefined when nothing usable was sent.
 */
export function parseCredentials(headers: {
  authorization?: string | null;
  apiKey?: string | null;
}): Credential | undefined {
  const authorization = headers.authorization?.trim();
  if (authorization) {
    if (BARE_TOKEN_PATTERN.test(authorization)) return { kind: "token", token: authorization };
    const jwt = BEARER_PATTERN.exec(authorization)?.[1];
    if (jwt) return { kind: "bearer", jwt };
    return parseBasic(authorization);
  }
  const apiKey = headers.apiKey?.trim();
  if (apiKey && BARE_TOKEN_PATTERN.test(apiKey)) return { kind: "token", token: apiKey };
  return undefined;
}

function parseBasic(authorization: string): Credential | undefined {
  const encoded = BASIC_PATTERN.exec(authorization)?.[1];
  if (!encoded) return undefined;
  const bytes = Buffer.from(encoded, "base64");
  // Node's decoder skips what it cannot read; a re-encoding that differs means the input was garbage.
  if (bytes.toString("base64") !== encoded) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    // A fatal TextDecoder throws on bytes that are not UTF-8.
    return undefined;
  }
  // RFC 7617: the user-id cannot contain a colon, the password may, so the first colon separates them.
  const colon = decoded.indexOf(":");
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return { kind: "basic", user: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}
