/**
 * One line of Suricata EVE JSON to a TLS session: `tls` events only, every other event type is a
 * counted skip. `dest_ip`/`dest_port` are the TLS server and `src_ip` the client.
 *
 * With DER (`tls.certificate`, `tls.chain`) every certificate fact comes from the DER and the text
 * fields (`fingerprint`, `subject`, `serial`...) are not even checked; without DER they describe the
 * leaf in `leafWithoutDer`, keyed by the SHA-1 fingerprint.
 */
import { normalizeName } from "../dns/name.js";
import {
  addDistinct,
  derFromBase64,
  describeValue,
  digestFromValues,
  isBlankLine,
  type LeafWithoutDer,
  type ParsedTlsLine,
  parseDateTime,
  serverEndpointFrom,
  sessionTimeFromValue,
  type TlsDigest,
  type TlsSession,
  tlsReject,
} from "./tls-session.js";
import { isLoneSurrogateFree } from "./unicode-text.js";

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A JA3 or JA3S object `{hash, string}`; absent when the event has none. */
function eveDigest(value: unknown): TlsDigest | undefined | "bad" {
  if (value === undefined || value === null) return undefined;
  return isObject(value) ? digestFromValues(value.hash, value.string) : "bad";
}

/** `tls.certificate` then `tls.chain` (which repeats the leaf), as distinct DER. */
function chainFrom(tls: JsonObject): Buffer[] | ParsedTlsLine {
  const listed = tls.chain ?? [];
  if (!Array.isArray(listed)) return tlsReject("bad_certificate_encoding", "tls.chain is not an array");
  const texts: unknown[] = [tls.certificate, ...listed];
  const seen = new Set<string>();
  const chain: Buffer[] = [];
  for (let k = 0; k < texts.length; k++) {
    const text = texts[k];
    if (text === undefined || text === null || text === "") continue;
    const what = k === 0 ? "tls.certificate" : `tls.chain[${k - 1}]`;
    if (typeof text !== "string") return tlsReject("bad_certificate_encoding", describeValue(what, text));
    // The same base64 is the same certificate: skip decoding the leaf's second copy.
    if (seen.has(text)) continue;
    seen.add(text);
    const der = derFromBase64(text);
    if (der === undefined) return tlsReject("bad_certificate_encoding", describeValue(what, text));
    addDistinct(chain, der);
  }
  return chain;
}

// Suricata prints `99:44:a6:…`; the bare 40-hex form is accepted too.
const FINGERPRINT = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){19}$|^[0-9a-fA-F]{40}$/;
const TEXT_FIELDS = [
  ["subject", "subject"],
  ["issuer", "issuerdn"],
  ["serial", "serial"],
] as const;
const VALIDITY_FIELDS = [
  ["notBefore", "notbefore"],
  ["notAfter", "notafter"],
] as const;

/** The leaf as the event's text fields describe it; undefined when it has no fingerprint. */
function leafFrom(tls: JsonObject): LeafWithoutDer | undefined | ParsedTlsLine {
  const { fingerprint } = tls;
  if (fingerprint === undefined || fingerprint === null) return undefined;
  if (typeof fingerprint !== "string" || !FINGERPRINT.test(fingerprint)) {
    return tlsReject("bad_fingerprint", describeValue("tls.fingerprint", fingerprint));
  }
  const leaf: LeafWithoutDer = { sha1: fingerprint.replaceAll(":", "").toLowerCase() };
  for (const [field, key] of TEXT_FIELDS) {
    const value = tls[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string") {
      return tlsReject("bad_certificate_encoding", describeValue(`tls.${key}`, value));
    }
    // JSON \u escapes can smuggle in half a surrogate pair, which has no UTF-8 form.
    if (!isLoneSurrogateFree(value)) return tlsReject("invalid_utf8", `tls.${key} has a lone surrogate`);
    leaf[field] = value;
  }
  for (const [field, key] of VALIDITY_FIELDS) {
    const value = tls[key];
    if (value === undefined || value === null) continue;
    // Validity is printed in UTC without a zone, and may lie far outside 32-bit session times.
    const time = typeof value === "string" ? parseDateTime(value, "optional") : undefined;
    if (time === undefined) return tlsReject("bad_timestamp", describeValue(`tls.${key}`, value));
    leaf[field] = time;
  }
  return leaf;
}

function sessionFrom(o: JsonObject): ParsedTlsLine {
  const time = sessionTimeFromValue(o.timestamp);
  if (time === undefined) return tlsReject("bad_timestamp", describeValue("timestamp", o.timestamp));
  const endpoint = serverEndpointFrom(
    { ip: ["dest_ip", o.dest_ip], port: ["dest_port", o.dest_port] },
    { ip: ["src_ip", o.src_ip], port: ["src_port", o.src_port] },
  );
  if ("kind" in endpoint) return endpoint;
  const { serverIp, serverPort } = endpoint;
  const { tls } = o;
  if (!isObject(tls)) return tlsReject("not_an_object", describeValue("tls", tls));
  const ja3 = eveDigest(tls.ja3);
  if (ja3 === "bad") return tlsReject("bad_ja3", describeValue("tls.ja3", tls.ja3));
  const ja3s = eveDigest(tls.ja3s);
  if (ja3s === "bad") return tlsReject("bad_ja3", describeValue("tls.ja3s", tls.ja3s));
  const chain = chainFrom(tls);
  if (!Array.isArray(chain)) return chain;
  const session: TlsSession = { time, serverIp, serverPort, chain };
  if (ja3 !== undefined) session.ja3 = ja3;
  if (ja3s !== undefined) session.ja3s = ja3s;
  // The client chooses the SNI: a malformed one loses the name, not the session and its certificate.
  const sni = typeof tls.sni === "string" ? normalizeName(tls.sni) : undefined;
  if (sni !== undefined && sni !== ".") session.sni = sni;
  if (chain.length === 0) {
    const leaf = leafFrom(tls);
    if (leaf !== undefined && "kind" in leaf) return leaf;
    if (leaf !== undefined) session.leafWithoutDer = leaf;
  }
  return { kind: "session", session };
}

/**
 * Parses one EVE line. Never throws: every input gives a session, a skip (an event type other than
 * `tls`, named in the detail), a blank or a reject.
 */
export function parseEveLine(line: string): ParsedTlsLine {
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (isBlankLine(line)) return { kind: "blank" };
      return tlsReject("bad_json", describeValue("invalid JSON", line));
    }
    if (!isObject(parsed)) return tlsReject("not_an_object", describeValue("not a JSON object:", line));
    if (parsed.event_type !== "tls") {
      const detail = describeValue("event_type", parsed.event_type).slice(0, 120);
      return { kind: "skip", reason: "not_tls_event", detail };
    }
    return sessionFrom(parsed);
  } catch (err) {
    return tlsReject("bad_json", `unexpected parser error: ${String(err)}`);
  }
}
