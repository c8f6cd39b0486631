/** Recognises what a user asks about: an address (strictly parsed, any valid IPv6 spelling) or a name. */
import { type ParsedIp, parseIp } from "../dns/ip.js";
import { normalizeName } from "../dns/name.js";

export type QueryValue = { kind: "ip"; ip: ParsedIp } | { kind: "name"; name: string };

export function parseQueryValue(raw: string): QueryValue | undefined {
  const ip = parseIp(raw);
  if (ip) return { kind: "ip", ip };
  const name = normalizeName(raw);
  return name === undefined ? undefined : { kind: "name", name };
}
