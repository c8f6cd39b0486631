import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseEveLine } from "../src/ingest/eve-tls-parser.js";
import type { TlsRejectReason } from "../src/ingest/tls-session.js";
import { expectReject, sessionOf } from "./helpers/tls-lines.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);

function sha1(der: Buffer): string {
  return createHash("sha1").update(der).digest("hex");
}

const certNames = new Map(
  readdirSync(new URL("certs/", SAMPLES))
    .filter((file) => file.endsWith(".der"))
    .map((file) => [sha1(readFileSync(new URL(`certs/${file}`, SAMPLES))), file.replace(".der", "")]),
);

const lines = readFileSync(new URL("suricata-eve-tls.ndjson", SAMPLES), "utf8")
  .split("\n")
  .filter((line) => line.length > 0);

type Json = Record<string, unknown>;

// The first sample event (127.0.0.1:8443, leaf1-rsa with the issuing CA), to vary field by field.
const FIRST = JSON.parse(lines[0] ?? "") as Json & { tls: Json };
const LEAF1_SHA1 = "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8";

function event(changes: Json, tlsChanges: Json = {}): string {
  return JSON.stringify({ ...FIRST, ...changes, tls: { ...FIRST.tls, ...tlsChanges } });
}

/** The first event as Suricata logs it without the custom certificate fields. */
function eventWithoutDer(tlsChanges: Json = {}): string {
  return event({}, { certificate: undefined, chain: undefined, ...tlsChanges });
}

describe("the real EVE sample", () => {
  const sessions = lines.map((line) => sessionOf(parseEveLine(line)));

  it("parses all 58 events into sessions, 51 of them with DER", () => {
    expect(sessions).toHaveLength(58);
    expect(sessions.filter((s) => s.chain.length > 0)).toHaveLength(51);
    for (const s of sessions) {
      expect(s.leafWithoutDer).toBeUndefined();
      expect(typeof s.serverPort).toBe("number");
      expect(Number.isInteger(s.time)).toBe(true);
    }
  });

  it("keeps the leaf once although chain repeats it, and each SHA-1 is a sample PKI file", () => {
    lines.forEach((line, k) => {
      const { tls } = JSON.parse(line) as { tls: Json };
      const chain = sessions[k]?.chain ?? [];
      if (tls.chain === undefined) return;
      expect(chain).toHaveLength((tls.chain as string[]).length);
      const hashes = chain.map(sha1);
      expect(hashes[0]).toBe((tls.fingerprint as string).replaceAll(":", ""));
      for (const hash of hashes) expect(certNames.has(hash)).toBe(true);
    });
  });

  it("gives IPv6 servers canonically, and lowercased SNI", () => {
    const v6 = sessions.filter((s) => s.serverIp.includes(":"));
    expect(v6).toHaveLength(8);
    for (const s of v6) expect(s).toMatchObject({ serverIp: "::1", serverPort: 8447 });
    const snis = new Set(sessions.map((s) => s.sni));
    expect(snis).toContain("www.example.lu");
    expect(snis).toContain("api.test-circl.org");
  });

  it("takes the time from the envelope and the JA3/JA3S objects", () => {
    const first = sessions[0];
    expect(first?.time).toBe(Math.floor(Date.parse("2026-11-26T04:16:59.611545Z") / 1000));
    expect(first?.ja3).toEqual({
      digest: (FIRST.tls.ja3 as Json).hash,
      text: (FIRST.tls.ja3 as Json).string,
    });
    expect(first?.ja3s).toEqual({
      digest: "ec74a5c51106f0419184d0dd08fb05bc",
      text: "771,49200,65281-11-35-23",
    });
  });
});

describe("EVE events", () => {
  it("skips other event types and names them", () => {
    const result = parseEveLine(JSON.stringify({ timestamp: FIRST.timestamp, event_type: "dns", dns: {} }));
    expect(result).toEqual({ kind: "skip", reason: "not_tls_event", detail: 'event_type "dns"' });
    expect(parseEveLine('{"event_type":"flow"}').kind).toBe("skip");
    expect(parseEveLine('{"timestamp":"2017-04-07T22:24:37.251547+0100"}')).toEqual({
      kind: "skip",
      reason: "not_tls_event",
      detail: "event_type missing",
    });
  });

  it("reads Suricata's offset without a colon", () => {
    const session = sessionOf(parseEveLine(event({ timestamp: "2017-04-07T22:24:37.251547+0100" })));
    expect(session.time).toBe(Date.UTC(2017, 3, 7, 21, 24, 37) / 1000);
  });

  it("describes the leaf without DER from the fingerprint and text fields", () => {
    const session = sessionOf(parseEveLine(eventWithoutDer()));
    expect(session.chain).toEqual([]);
    expect(session.leafWithoutDer).toEqual({
      sha1: LEAF1_SHA1,
      subject: "C=LU, L=Luxembourg, O=Example Luxembourg, CN=www.example.lu",
      issuer: "C=LU, O=D4 Sample PKI, OU=Test Issuing, CN=D4 Sample Issuing CA 1",
      notBefore: Date.parse("2026-11-26T04:14:39Z") / 1000,
      notAfter: Date.parse("2027-12-28T04:14:39Z") / 1000,
      serial: "10:64:04:B8:32:A3:1B:C8:5D:F6:D0:7B:F5:0C:19:9A:E6:68:4B:A9",
    });
    expect(session.leafWithoutDer?.sha1).toMatch(/^[0-9a-f]{40}$/);
  });

  it("keeps only the fingerprint when that is all there is, and validity far in the future", () => {
    const tls = { fingerprint: LEAF1_SHA1.toUpperCase(), notafter: "9999-12-31T23:59:59" };
    const session = sessionOf(parseEveLine(JSON.stringify({ ...FIRST, tls })));
    expect(session.leafWithoutDer).toEqual({ sha1: LEAF1_SHA1, notAfter: 253402300799 });
  });

  it("ignores the text fields when DER is there", () => {
    const session = sessionOf(parseEveLine(event({}, { fingerprint: "not checked", notbefore: "never" })));
    expect(session.leafWithoutDer).toBeUndefined();
    expect(session.chain.map(sha1)[0]).toBe(LEAF1_SHA1);
  });

  it("takes the leaf from chain when certificate is absent, and from certificate alone", () => {
    const fromChain = sessionOf(parseEveLine(event({}, { certificate: undefined })));
    const fromLeaf = sessionOf(parseEveLine(event({}, { chain: undefined })));
    expect(fromChain.chain.map((der) => certNames.get(sha1(der)))).toEqual(["leaf1-rsa", "ca-inter"]);
    expect(fromLeaf.chain.map((der) => certNames.get(sha1(der)))).toEqual(["leaf1-rsa"]);
  });

  it("takes sessions without JA3, JA3S or SNI; a malformed SNI loses the name only", () => {
    const bare = sessionOf(parseEveLine(event({}, { ja3: undefined, ja3s: undefined, sni: undefined })));
    expect(bare.ja3).toBeUndefined();
    expect(bare.ja3s).toBeUndefined();
    expect(bare.sni).toBeUndefined();
    expect(sessionOf(parseEveLine(event({}, { sni: "WWW.Example.LU." }))).sni).toBe("www.example.lu");
    const odd = sessionOf(parseEveLine(event({}, { sni: "bad name" })));
    expect(odd.sni).toBeUndefined();
    expect(odd.chain).toHaveLength(2);
  });

  it("canonicalises IPv6 addresses", () => {
    const session = sessionOf(parseEveLine(event({ dest_ip: "0:0:0:0:0:0:0:1", src_ip: "::1" })));
    expect(session.serverIp).toBe("::1");
  });

  it("treats empty and whitespace lines as blank", () => {
    expect(parseEveLine("")).toEqual({ kind: "blank" });
    expect(parseEveLine(" \r")).toEqual({ kind: "blank" });
  });
});

describe("malformed EVE lines", () => {
  it.each<[string, string, TlsRejectReason]>([
    ["bad JSON", '{"event_type":"tls",', "bad_json"],
    ["an array", `[${lines[0]}]`, "not_an_object"],
    ["a tls event without tls object", JSON.stringify({ ...FIRST, tls: "x" }), "not_an_object"],
    ["a bad server IP", event({ dest_ip: "127.1" }), "bad_ip"],
    ["a bad client IP", event({ src_ip: "::g" }), "bad_ip"],
    ["port 99999", event({ dest_port: 99999 }), "bad_port"],
    ["a bad client port", event({ src_port: -1 }), "bad_port"],
    ["a timestamp without zone", event({ timestamp: "2017-04-07T22:24:37.251547" }), "bad_timestamp"],
    ["a timestamp with a bad offset", event({ timestamp: "2017-04-07T22:24:37+2500" }), "bad_timestamp"],
    ["a JA3 hash not hex", event({}, { ja3: { hash: "x".repeat(32), string: "771" } }), "bad_ja3"],
    ["a JA3 not an object", event({}, { ja3: "871a754af286dfb70c1b53c6887c62e0" }), "bad_ja3"],
    ["a JA3S hash too short", event({}, { ja3s: { hash: "abc", string: "771" } }), "bad_ja3"],
    ["a certificate not base64", event({}, { certificate: "%%%" }), "bad_certificate_encoding"],
    ["a chain element not base64", event({}, { chain: ["MIIB", "x"] }), "bad_certificate_encoding"],
    ["a chain not an array", event({}, { chain: "MIIB" }), "bad_certificate_encoding"],
    ["a malformed fingerprint", eventWithoutDer({ fingerprint: "99:44:a6" }), "bad_fingerprint"],
    [
      "a fingerprint with bad hex",
      eventWithoutDer({ fingerprint: `zz${LEAF1_SHA1.slice(2)}` }),
      "bad_fingerprint",
    ],
    ["a fingerprint not a string", eventWithoutDer({ fingerprint: 42 }), "bad_fingerprint"],
    ["a bad notbefore without DER", eventWithoutDer({ notbefore: "2026-13-01T00:00:00" }), "bad_timestamp"],
    [
      "a subject not a string without DER",
      eventWithoutDer({ subject: ["CN=x"] }),
      "bad_certificate_encoding",
    ],
    ["a lone surrogate in the subject", eventWithoutDer({ subject: "CN=\ud800" }), "invalid_utf8"],
  ])("rejects %s", (_, line, reason) => {
    expectReject(parseEveLine(line), reason);
  });
});
