/** What every parse result must be, whatever the input: shared by the properties and the corpus replay. */
import { readdirSync, readFileSync } from "node:fs";
import { expect } from "vitest";
import { parseIp } from "../../src/dns/ip.js";
import { normalizeName } from "../../src/dns/name.js";
import { nameWire } from "../../src/dnsdb/raw.js";
import type { ParsedLine } from "../../src/ingest/passivedns-parser.js";
import type { ParsedTlsLine, TlsSession } from "../../src/ingest/tls-session.js";
import { hasLoneSurrogate } from "./fuzz.js";

const REASONS = new Set([
  "field_count",
  "bad_timestamp",
  "bad_ip",
  "bad_class",
  "non_in_class",
  "bad_name",
  "unknown_rrtype",
  "bad_rdata",
  "bad_ttl",
  "bad_count",
  "bad_json",
  "invalid_utf8",
  "line_too_long",
]);

/** A name a record may carry: canonical, and a valid wire name (labels ≤ 63, name ≤ 255 octets). */
export function expectStoredName(name: string): void {
  expect(normalizeName(name), `name ${JSON.stringify(name)} is not canonical`).toBe(name);
  expect(hasLoneSurrogate(name)).toBe(false);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these must never reach a key.
  expect(name).not.toMatch(/[\u0000-\u0020\u007f]/);
  expect(nameWire(name), `name ${JSON.stringify(name)} has no wire form`).toBeDefined();
}

/**
 * The invariants every parse result keeps, whatever the input. Text lines reach the parser from the
 * line reader, checked UTF-8: a lone surrogate in a text line (`line` given) may stay in TXT rdata,
 * never in a name.
 */
export function expectWellFormed(result: ParsedLine, line?: string): void {
  switch (result.kind) {
    case "blank":
      return;
    case "reject":
      expect(REASONS.has(result.reason), `unknown reason ${result.reason}`).toBe(true);
      expect(typeof result.detail).toBe("string");
      expect(result.detail.length).toBeGreaterThan(0);
      expect(result.detail.length).toBeLessThanOrEqual(120);
      return;
    case "record": {
      expectStoredName(result.rrname);
      expect(Number.isInteger(result.rrtype) && result.rrtype >= 0 && result.rrtype <= 0xffff).toBe(true);
      // Only a TXT (or SPF) may be empty: `""`, one empty character-string.
      if (result.rrtype !== 16 && result.rrtype !== 99) expect(result.rdata.length).toBeGreaterThan(0);
      if (line === undefined || !hasLoneSurrogate(line)) expect(hasLoneSurrogate(result.rdata)).toBe(false);
      if (result.rrtype === 1 || result.rrtype === 28) {
        expect(parseIp(result.rdata)?.text).toBe(result.rdata);
      }
      if ([2, 5, 12, 39].includes(result.rrtype)) expectStoredName(result.rdata);
      break;
    }
    case "rcode":
      expectStoredName(result.rrname);
      expect(Number.isInteger(result.rcode) && result.rcode >= 0 && result.rcode <= 4095).toBe(true);
      expect(Number.isInteger(result.qtype) && result.qtype >= 0 && result.qtype <= 0xffff).toBe(true);
      break;
    default:
      throw new Error(`unexpected result ${JSON.stringify(result)}`);
  }
  expect(Number.isInteger(result.time) && result.time >= 0 && result.time <= 0xffffffff).toBe(true);
  expect(Number.isSafeInteger(result.count) && result.count >= 1).toBe(true);
}

const TLS_REASONS = new Set([
  "bad_json",
  "not_an_object",
  "bad_ip",
  "bad_port",
  "bad_timestamp",
  "bad_ja3",
  "bad_certificate_encoding",
  "bad_fingerprint",
  "invalid_utf8",
]);

/** Real certificates (DER) of the test PKI. */
const PEM_DIR = new URL("../fixtures/pssl/", import.meta.url);
export const CERTIFICATES: readonly Buffer[] = readdirSync(PEM_DIR)
  .filter((file) => file.endsWith(".pem"))
  .map((file) => readFileSync(new URL(file, PEM_DIR), "utf8"))
  .filter((pem) => pem.includes("BEGIN CERTIFICATE"))
  .map((pem) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));

/** The invariants every TLS parse result keeps, whatever the input. */
export function expectWellFormedTls(result: ParsedTlsLine): void {
  switch (result.kind) {
    case "blank":
      return;
    case "skip":
      expect(result.reason).toBe("not_tls_event");
      expect(result.detail.length).toBeGreaterThan(0);
      expect(result.detail.length).toBeLessThanOrEqual(120);
      return;
    case "reject":
      expect(TLS_REASONS.has(result.reason), `unknown reason ${result.reason}`).toBe(true);
      expect(result.detail.length).toBeGreaterThan(0);
      expect(result.detail.length).toBeLessThanOrEqual(120);
      return;
    case "session":
      expectWellFormedSession(result.session);
      return;
    default:
      throw new Error(`unexpected result ${JSON.stringify(result)}`);
  }
}

function expectWellFormedSession(s: TlsSession): void {
  expect(parseIp(s.serverIp)?.text).toBe(s.serverIp);
  expect(Number.isInteger(s.serverPort) && s.serverPort >= 0 && s.serverPort <= 65535).toBe(true);
  expect(Number.isInteger(s.time) && s.time >= 0 && s.time <= 0xffffffff).toBe(true);
  for (const digest of [s.ja3, s.ja3s]) {
    if (digest === undefined) continue;
    expect(digest.digest).toMatch(/^[0-9a-f]{32}$/);
    expect(digest.text).toMatch(/^[0-9,-]*$/);
  }
  for (const [k, der] of s.chain.entries()) {
    expect(Buffer.isBuffer(der)).toBe(true);
    expect(der[0]).toBe(0x30);
    expect(s.chain.findIndex((other) => other.equals(der))).toBe(k);
  }
  if (s.sni !== undefined) {
    expectStoredName(s.sni);
    expect(s.sni).not.toBe(".");
  }
  const leaf = s.leafWithoutDer;
  if (leaf !== undefined) {
    expect(s.chain).toHaveLength(0);
    expect(leaf.sha1).toMatch(/^[0-9a-f]{40}$/);
    for (const text of [leaf.subject, leaf.issuer, leaf.serial]) {
      if (text !== undefined) expect(hasLoneSurrogate(text)).toBe(false);
    }
    for (const time of [leaf.notBefore, leaf.notAfter])
      if (time !== undefined) expect(Number.isInteger(time)).toBe(true);
  }
}
