/**
 * DNSDB v2 lookup paths, after the verb: `rrset/name/<NAME>[/<TYPE>[/<BAILIWICK>]]`,
 * `rrset/raw/<HEX>[/<TYPE>[/<BAILIWICK>]]`, `rdata/name/<NAME>[/<TYPE>]`, `rdata/ip/<ADDR>[/<TYPE>]`
 * (`ADDR`, `ADDR,PFXLEN` or `ADDR-ADDR`) and `rdata/raw/<HEX>[/<TYPE>]`, turned into a lookup target and
 * rrtype filter. The path is split on `/` first and each segment percent-decoded after, as dnsdbq
 * encodes them one by one (so `%2F` inside a segment is data, not a separator).
 *
 * Names: `*.example.com` is every name under example.com (left-hand wildcard), `www.example.*` every
 * name starting with the labels www.example (right-hand wildcard), anything else one exact name.
 * Raw names are always exact (a `*` label in wire form is a literal asterisk).
 *
 * Bailiwick: the passivedns stream this server ingests does not carry it, so a bailiwick segment is
 * refused (400) rather than silently ignored or guessed.
 */
import { normalizeName } from "../dns/name.js";
import { rrtypeFromText } from "../dns/rrtype.js";
import type { LookupTarget, RrtypeFilter } from "../pdns/lookup-types.js";
import { badDnsdbRequest, DnsdbError } from "./errors.js";
import { blockTooWide, type IpBlockLimit, parseAddressBlock } from "./ip-block.js";
import { hexBytes, rawRdata, wireName } from "./raw.js";

const A = 1;
const AAAA = 28;

/** The message of a bailiwick segment. */
export const BAILIWICK_MESSAGE = "bailiwick is not recorded by this server";

/** A 404 for a path that is not one of the DNSDB v2 shapes. */
export const noSuchPath = () => new DnsdbError(404, "no such DNSDB API path");

/** What a lookup path asks for. */
export interface PathQuery {
  target: LookupTarget;
  rrtypes: RrtypeFilter;
  /** The value looked up, readable (raw values in presentation form), for the audit log. */
  value: string;
}

/**
 * The segments of the URL path after `prefix` (e.g. `/dnsdb/v2/lookup/`), split on `/` and then each
 * percent-decoded; one trailing `/` is ignored. Undefined when the path does not start with `prefix`.
 * Throws a 400 for a malformed escape.
 */
export function pathSegments(url: string, prefix: string): string[] | undefined {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const query = url.indexOf("?", start);
  const path = start < 0 ? "/" : url.slice(start, query < 0 ? undefined : query);
  if (!path.startsWith(prefix)) return undefined;
  const rest = path.slice(prefix.length).replace(/\/$/, "");
  if (rest === "") return [];
  return rest.split("/").map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw badDnsdbRequest(`malformed percent-encoding in the path segment ${JSON.stringify(segment)}`);
    }
  });
}

/** `ANY` (every type but DNSSEC's), `ANY-DNSSEC`, a mnemonic, `TYPE123` or a number (any case). */
export function parseRrtypeFilter(text: string | undefined): RrtypeFilter {
  if (text === undefined) return { kind: "any" };
  const upper = text.toUpperCase();
  if (upper === "ANY") return { kind: "any" };
  if (upper === "ANY-DNSSEC") return { kind: "any-dnssec" };
  const rrtype = text === "" ? undefined : rrtypeFromText(text);
  if (rrtype === undefined) throw badDnsdbRequest(`unknown rrtype ${JSON.stringify(text)}`);
  return { kind: "one", rrtype };
}

/** The name a wildcard applies to: a valid name holding no further `*`. */
function wildcardBase(text: string): string {
  const name = exactName(text);
  if (name.includes("*")) {
    throw badDnsdbRequest("a name may hold one wildcard only, as its first or its last label");
  }
  return name;
}

function exactName(text: string): string {
  const name = normalizeName(text);
  if (name === undefined) throw badDnsdbRequest(`not a valid domain name: ${JSON.stringify(text)}`);
  return name;
}

/**
 * The target of a name segment for owners (`rrset/name`) or rdata (`rdata/name`): a left-hand
 * wildcard, a right-hand wildcard or one exact name.
 */
export function nameTarget(text: string, side: "owner" | "rdata"): LookupTarget {
  const left = text.startsWith("*");
  const trimmed = text.endsWith("*.") ? text.slice(0, -1) : text;
  const right = trimmed.endsWith("*") && trimmed.length > 1;
  if (left && right) throw badDnsdbRequest("a name cannot have both a left- and a right-hand wildcard");
  if (left) {
    if (!text.startsWith("*.") || text.length <= 2) {
      throw badDnsdbRequest("a left-hand wildcard is *.<domain>, e.g. *.example.com");
    }
    const domain = wildcardBase(text.slice(2));
    if (domain === ".") throw badDnsdbRequest("a left-hand wildcard needs a domain below the root");
    return side === "owner" ? { kind: "owner-under", domain } : { kind: "rdata-name-under", domain };
  }
  if (right) {
    if (!trimmed.endsWith(".*")) {
      throw badDnsdbRequest("a right-hand wildcard is <labels>.*, e.g. www.example.*");
    }
    const labels = wildcardBase(trimmed.slice(0, -2));
    if (labels === ".") throw badDnsdbRequest("a right-hand wildcard needs at least one label");
    return side === "owner" ? { kind: "owner-prefix", labels } : { kind: "rdata-name-prefix", labels };
  }
  const name = exactName(text);
  return side === "owner" ? { kind: "owner", name } : { kind: "rdata-name", name };
}

function rawBytes(hex: string): Uint8Array {
  const bytes = hexBytes(hex);
  if (!bytes)
    throw badDnsdbRequest(`raw values are an even number of hex digits, not ${JSON.stringify(hex)}`);
  return bytes;
}

/** The owner name of `rrset/raw/<HEX>`, normalised. */
function rawOwner(hex: string): string {
  const text = wireName(rawBytes(hex));
  if (text === undefined) {
    throw badDnsdbRequest("raw owner is not a wire-format name (labels ending with the root label)");
  }
  return exactName(text);
}

function ipTarget(text: string, rrtypes: RrtypeFilter, limit: IpBlockLimit | null): LookupTarget {
  if (
    rrtypes.kind === "any-dnssec" ||
    (rrtypes.kind === "one" && rrtypes.rrtype !== A && rrtypes.rrtype !== AAAA)
  ) {
    throw badDnsdbRequest("rdata/ip lookups take only the rrtypes A, AAAA or ANY");
  }
  const parsed = parseAddressBlock(text);
  if (!parsed.ok) throw badDnsdbRequest(parsed.reason);
  const tooWide = blockTooWide(parsed.block, limit);
  if (tooWide !== undefined) throw badDnsdbRequest(tooWide);
  return { kind: "rdata-ip", first: parsed.block.first, last: parsed.block.last };
}

function rawRdataTarget(hex: string, rrtypes: RrtypeFilter): { target: LookupTarget; value: string } {
  if (rrtypes.kind === "any-dnssec") {
    throw badDnsdbRequest(
      "raw rdata lookups are supported for addresses and host names only, not DNSSEC types",
    );
  }
  const raw = rawRdata(rawBytes(hex), rrtypes.kind === "one" ? rrtypes.rrtype : undefined);
  if (raw.kind === "invalid") throw badDnsdbRequest(raw.reason);
  if (raw.kind === "address") {
    return { target: { kind: "rdata-ip", first: raw.bytes, last: raw.bytes }, value: raw.text };
  }
  const name = exactName(raw.name);
  return { target: { kind: "rdata-name", name }, value: name };
}

/**
 * Parses the segments after the verb. `ipLimit` is the widest address block the caller may query
 * (null: unlimited). Throws a DnsdbError: 404 for a path of no known shape, 400 for a bad value.
 */
export function parseLookupPath(segments: readonly string[], ipLimit: IpBlockLimit | null): PathQuery {
  const [side, form, value, type, bailiwick] = segments;
  // rrset paths may end with a bailiwick; rdata paths may not.
  if (value === undefined || segments.length > (side === "rrset" ? 5 : 4)) throw noSuchPath();
  const key = `${side}/${form}`;
  if (value === "") throw badDnsdbRequest("the value to look up is empty");
  const rrtypes = (): RrtypeFilter => parseRrtypeFilter(type);
  switch (key) {
    case "rrset/name":
    case "rrset/raw": {
      const filter = rrtypes();
      if (bailiwick !== undefined) throw badDnsdbRequest(BAILIWICK_MESSAGE);
      if (form === "name") return { target: nameTarget(value, "owner"), rrtypes: filter, value };
      const name = rawOwner(value);
      return { target: { kind: "owner", name }, rrtypes: filter, value: name };
    }
    case "rdata/name":
      return { target: nameTarget(value, "rdata"), rrtypes: rrtypes(), value };
    case "rdata/ip": {
      const filter = rrtypes();
      return { target: ipTarget(value, filter, ipLimit), rrtypes: filter, value };
    }
    case "rdata/raw": {
      const filter = rrtypes();
      return { ...rawRdataTarget(value, filter), rrtypes: filter };
    }
    default:
      throw noSuchPath();
  }
}
