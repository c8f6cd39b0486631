/**
 * What a search is: the one search box takes any value an analyst pastes and this says which pages answer
 * it. Pure (no DOM), so the unit tests run it in Node.
 *
 * - `sha1` / `sha256`: a certificate fingerprint (40 / 64 hex digits, colons allowed);
 * - `md5`: 32 hex digits, a JA3 or a JA3S digest (both are looked up; `ja3:` / `ja3s:` says which);
 * - `ip`: an IPv4 or IPv6 address; `block`: a CIDR block or an address range `a-b`;
 * - `wildcard`: `*.example.com` (names under it) or `www.example.*` (names starting with it);
 * - `name`: a DNS name (a trailing dot is dropped, letters lowercased);
 * - `invalid`: anything else, with the reason.
 */

export type SearchKind = "name" | "wildcard" | "ip" | "block" | "sha1" | "sha256" | "ja3" | "ja3s" | "md5";

export type Classified =
  | { kind: SearchKind; value: string }
  | { kind: "invalid"; value: string; reason: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

/** IPv6 in any valid spelling (`::` once at most, an IPv4 tail allowed). */
export function isIPv6(value: string): boolean {
  if (!value.includes(":") || /[^0-9a-fA-F:.]/.test(value)) return false;
  const halves = value.split("::");
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const parts = halves.flatMap(groups);
  let count = parts.length;
  const last = parts[parts.length - 1];
  if (last?.includes(".")) {
    if (!isIPv4(last)) return false;
    count += 1;
    parts.pop();
  }
  if (!parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p))) return false;
  return halves.length === 2 ? count < 8 : count === 8;
}

export function isIP(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** A DNS name, lowercased without its trailing dot; undefined when it is not one. */
export function normalName(value: string): string | undefined {
  const name = value.toLowerCase().replace(/\.$/, "");
  if (name.length === 0 || name.length > 253) return undefined;
  const labels = name.split(".");
  return labels.every((label) => LABEL.test(label)) ? name : undefined;
}

function block(value: string): boolean {
  const slash = value.split("/");
  if (slash.length === 2) {
    const [address, prefix] = slash as [string, string];
    if (!/^\d{1,3}$/.test(prefix)) return false;
    const bits = Number(prefix);
    return (isIPv4(address) && bits <= 32) || (isIPv6(address) && bits <= 128);
  }
  const dash = value.split("-");
  if (dash.length === 2) {
    const [from, to] = dash as [string, string];
    return (isIPv4(from) && isIPv4(to)) || (isIPv6(from) && isIPv6(to));
  }
  return false;
}

export function classify(input: string): Classified {
  const value = input.trim();
  if (value === "") return { kind: "invalid", value, reason: "Type a name, an address, a block or a hash." };
  const prefixed = /^(ja3s?):([0-9a-f]{32})$/i.exec(value);
  if (prefixed)
    return { kind: prefixed[1]?.toLowerCase() as "ja3" | "ja3s", value: (prefixed[2] ?? "").toLowerCase() };
  const hex = value.replace(/:/g, "").toLowerCase();
  if (/^[0-9a-f]+$/.test(hex) && (hex.length === 40 || hex.length === 64) && !isIP(value)) {
    return { kind: hex.length === 40 ? "sha1" : "sha256", value: hex };
  }
  if (/^[0-9a-f]{32}$/i.test(value)) return { kind: "md5", value: value.toLowerCase() };
  if (isIP(value)) return { kind: "ip", value: value.toLowerCase() };
  if (block(value)) return { kind: "block", value: value.toLowerCase() };
  if (value.startsWith("*.")) {
    const domain = normalName(value.slice(2));
    if (domain) return { kind: "wildcard", value: `*.${domain}` };
  } else if (value.endsWith(".*")) {
    const start = normalName(value.slice(0, -2));
    if (start) return { kind: "wildcard", value: `${start}.*` };
  } else {
    const name = normalName(value);
    if (name) return { kind: "name", value: name };
  }
  return {
    kind: "invalid",
    value,
    reason:
      "Not a name, wildcard (*.example.com, www.example.*), address, block (192.0.2.0/24), " +
      "SHA-1/SHA-256 fingerprint or JA3/JA3S digest.",
  };
}
