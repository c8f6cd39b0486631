import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseJa3JlLine } from "../src/ingest/ja3-jl-parser.js";
import type { ParsedTlsLine, TlsRejectReason } from "../src/ingest/tls-session.js";
import { expectReject, sessionOf } from "./helpers/tls-lines.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);

function sampleLines(file: string): string[] {
  return readFileSync(new URL(file, SAMPLES), "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

function sha1(der: Buffer): string {
  return createHash("sha1").update(der).digest("hex");
}

/** SHA-1 → name of the sample PKI's DER files. */
const certNames = new Map(
  readdirSync(new URL("certs/", SAMPLES))
    .filter((file) => file.endsWith(".der"))
    .map((file) => [sha1(readFileSync(new URL(`certs/${file}`, SAMPLES))), file.replace(".der", "")]),
);

const LEAF_BY_PORT: Record<number, string> = {
  8443: "leaf1-rsa",
  8444: "leaf2-ecdsa",
  8445: "leaf3-selfsigned",
  8446: "leaf4-expired",
  8447: "leaf5-utf8",
  8448: "leaf5-utf8",
};

const ipv4Lines = sampleLines("ja3-jl.ndjson");
const allLines = sampleLines("ja3-jl-with-ipv6.ndjson");

/** A trailing space is valid JSON that the fast path declines, so this goes through JSON.parse. */
function parseViaJsonParse(line: string): ParsedTlsLine {
  return parseJa3JlLine(`${line} `);
}

// A short well-formed record: the sensor's own field order, one certificate from the sample PKI.
const LEAF2_BASE64 = readFileSync(new URL("certs/leaf2-ecdsa.der", SAMPLES)).toString("base64");
const JA3 =
  "771,49199-49200-49195-49196-52392-52393-49171-49161-49172-49162-156-157-47-53-49170-10,5-10-11-13";
const JA3_DIGEST = "c3a6cf0bf2e690ac8e1ecf6081f17a50";
const BASE: Record<string, unknown> = {
  ServerIP: "192.0.2.10",
  ServerPort: "443",
  ClientIP: "198.51.100.7",
  ClientPort: "51234",
  TLSH: "",
  Timestamp: "2019-06-12T15:08:09.123456789+02:00",
  JA3,
  JA3Digest: JA3_DIGEST,
  JA3S: "771,49200,65281-11",
  JA3SDigest: "0debd3853f330c574b05e0b6d882dc27",
  Certificates: [{ CertHash: "not read", Raw: LEAF2_BASE64, SerialNumber: 4097 }],
};

function record(changes: Record<string, unknown>): string {
  return JSON.stringify({ ...BASE, ...changes });
}

/** A result as one string (DER as base64): cheaper to compare than Buffers, over thousands of lines. */
function summary(result: ParsedTlsLine): string {
  if (result.kind !== "session") return JSON.stringify(result);
  const chain = result.session.chain.map((der) => der.toString("base64"));
  return JSON.stringify({ ...result, session: { ...result.session, chain } });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the real ja3-jl samples", () => {
  it("parses all 50 IPv4 lines into sessions, 7 of them without certificates", () => {
    const sessions = ipv4Lines.map((line) => sessionOf(parseJa3JlLine(line)));
    expect(sessions).toHaveLength(50);
    expect(sessions.filter((s) => s.chain.length === 0)).toHaveLength(7);
  });

  it("parses all 58 lines of the IPv6 sample, with canonical addresses and numeric ports", () => {
    const sessions = allLines.map((line) => sessionOf(parseJa3JlLine(line)));
    expect(sessions).toHaveLength(58);
    const v6 = sessions.filter((s) => s.serverIp.includes(":"));
    expect(v6).toHaveLength(8);
    for (const s of v6) expect(s).toMatchObject({ serverIp: "::1", serverPort: 8447 });
    for (const s of sessions) {
      expect(typeof s.serverPort).toBe("number");
      expect(Number.isInteger(s.time)).toBe(true);
      expect(Object.keys(s)).not.toContain("clientIp");
    }
  });

  it("takes every certificate from Raw: the recomputed SHA-1 is CertHash and a sample PKI file", () => {
    for (const line of allLines) {
      const session = sessionOf(parseJa3JlLine(line));
      const sent = (JSON.parse(line).Certificates ?? []) as Array<{ CertHash: string }>;
      const hashes = session.chain.map(sha1);
      expect(hashes).toEqual(sent.map((c) => c.CertHash));
      const names = hashes.map((hash) => certNames.get(hash));
      const leaf = LEAF_BY_PORT[session.serverPort];
      if (names.length > 0) {
        expect(names).toEqual(session.serverPort === 8445 ? [leaf] : [leaf, "ca-inter"]);
      }
    }
  });

  it("keeps the sensor's digests and strings, time as whole epoch seconds", () => {
    const first = sessionOf(parseJa3JlLine(ipv4Lines[0] ?? ""));
    expect(first.time).toBe(Math.floor(Date.parse("2026-11-26T04:16:59.60533Z") / 1000));
    expect(first.ja3).toEqual({
      digest: "871a754af286dfb70c1b53c6887c62e0",
      text: JSON.parse(ipv4Lines[0] ?? "").JA3,
    });
    expect(first.ja3s).toEqual({
      digest: "ec74a5c51106f0419184d0dd08fb05bc",
      text: "771,49200,65281-11-35-23",
    });
    const digests = new Set(allLines.map((line) => sessionOf(parseJa3JlLine(line)).ja3?.digest));
    expect(digests.size).toBe(8);
  });
});

describe("the fast path", () => {
  it("reads every sample line without JSON.parse, with the result JSON.parse gives", () => {
    const viaJson = allLines.map(parseViaJsonParse);
    const parse = vi.spyOn(JSON, "parse");
    const fast = allLines.map((line) => parseJa3JlLine(line));
    expect(parse).not.toHaveBeenCalled();
    expect(fast).toEqual(viaJson);
  });

  it("takes reordered keys too, and gives the same session", () => {
    for (const line of allLines.slice(0, 5).concat(allLines.slice(-3))) {
      const o = JSON.parse(line) as Record<string, unknown>;
      const reordered = JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
      const parse = vi.spyOn(JSON, "parse");
      const fast = parseJa3JlLine(reordered);
      expect(parse).not.toHaveBeenCalled();
      parse.mockRestore();
      expect(fast).toEqual(parseJa3JlLine(line));
    }
  });

  it("hands lines with whitespace, escapes or non-string ports to JSON.parse, same result", () => {
    const line = allLines[0] ?? "";
    const expected = parseJa3JlLine(line);
    const variants = [
      JSON.stringify(JSON.parse(line), null, 1).replaceAll("\n", ""),
      line.replace('"ServerIP":"127.0.0.1"', '"ServerIP":"127.0.0.\\u0031"'),
      line.replace('"Raw":"MII', '"Raw":"MI\\u0049'),
      line.replace(/"Raw":"([^"]*)"/, (_, raw: string) => `"Raw":"${raw.replaceAll("/", "\\/")}"`),
      line.replace('"TLSH":"', '"TLSH":"\\"quoted\\" '),
      line.replace('"ServerPort":"8443"', '"ServerPort":8443'),
    ];
    for (const variant of variants) {
      expect(variant).not.toBe(line);
      const parse = vi.spyOn(JSON, "parse");
      expect(parseJa3JlLine(variant)).toEqual(expected);
      expect(parse).toHaveBeenCalledTimes(1);
      parse.mockRestore();
    }
  });

  it("keeps a line from a D4 queue with its trailing CR on the fast path", () => {
    const line = allLines[0] ?? "";
    const parse = vi.spyOn(JSON, "parse");
    expect(parseJa3JlLine(`${line}\r`)).toEqual(parseJa3JlLine(line));
    expect(parse).not.toHaveBeenCalled();
  });

  it("agrees with JSON.parse on every one-character deletion of a line", () => {
    const withCertificates = allLines.filter((l) => l.includes('"Certificates":[{'));
    const line = withCertificates.reduce((a, b) => (b.length < a.length ? b : a));
    for (let i = 0; i < line.length; i++) {
      const mutated = line.slice(0, i) + line.slice(i + 1);
      expect(summary(parseJa3JlLine(mutated)), `deleting offset ${i}`).toBe(
        summary(parseViaJsonParse(mutated)),
      );
    }
  });

  it("agrees with JSON.parse when structural characters are inserted", () => {
    const line = allLines[allLines.length - 1] ?? "";
    const inserts = [",", ":", '"', "{", "}", "[", "]", "0", "-", "01", "1.", "1e", "nul", "\u0001", "\t"];
    for (let i = 0; i <= line.length; i += 7) {
      for (const insert of inserts) {
        const mutated = line.slice(0, i) + insert + line.slice(i);
        expect(summary(parseJa3JlLine(mutated)), `${JSON.stringify(insert)} at ${i}`).toBe(
          summary(parseViaJsonParse(mutated)),
        );
      }
    }
  });

  it("rejects a raw control character inside a skipped string, as JSON.parse does", () => {
    const line = (allLines[0] ?? "").replace('"Signature":"', '"Signature":"\u0007');
    expectReject(parseJa3JlLine(line), "bad_json");
  });

  it("keeps the last of duplicate keys, as JSON.parse does", () => {
    const line = (allLines[0] ?? "").replace(
      '{"ServerIP":"127.0.0.1"',
      '{"ServerIP":"10.0.0.1","ServerIP":"::1"',
    );
    expect(sessionOf(parseJa3JlLine(line)).serverIp).toBe("::1");
    expect(parseJa3JlLine(line)).toEqual(parseViaJsonParse(line));
  });
});

describe("ja3-jl fields", () => {
  it("reads the format's illustrative record", () => {
    const session = sessionOf(parseJa3JlLine(record({})));
    expect(session).toEqual({
      time: Date.UTC(2019, 5, 12, 13, 8, 9) / 1000,
      serverIp: "192.0.2.10",
      serverPort: 443,
      ja3: { digest: JA3_DIGEST, text: JA3 },
      ja3s: { digest: "0debd3853f330c574b05e0b6d882dc27", text: "771,49200,65281-11" },
      chain: [Buffer.from(LEAF2_BASE64, "base64")],
    });
  });

  it("does not throw on a 4096-bit PublicKey.N and a 160-bit SerialNumber", () => {
    const n = `${"9".repeat(1233)}`;
    const serial = "1461501637330902918203684832716283019655932542975";
    const line = record({}).replace(
      '"SerialNumber":4097',
      `"SerialNumber":${serial},"PublicKey":{"N":${n},"E":65537}`,
    );
    expect(line).toContain(n);
    expect(sessionOf(parseJa3JlLine(line)).chain).toHaveLength(1);
    expect(parseJa3JlLine(line)).toEqual(parseViaJsonParse(line));
  });

  it("takes partial sessions: no JA3S, no JA3, no certificates", () => {
    const partial = sessionOf(
      parseJa3JlLine(record({ JA3S: "", JA3SDigest: "", Certificates: null, TLSH: "" })),
    );
    expect(partial.ja3s).toBeUndefined();
    expect(partial.chain).toEqual([]);
    const bare = sessionOf(parseJa3JlLine(record({ JA3: "", JA3Digest: "", JA3S: "", JA3SDigest: "" })));
    expect(bare.ja3).toBeUndefined();
    const absent = sessionOf(parseJa3JlLine(record({ JA3: undefined, JA3Digest: undefined })));
    expect(absent.ja3).toBeUndefined();
    expect(sessionOf(parseJa3JlLine(record({ Certificates: [] }))).chain).toEqual([]);
  });

  it("keeps a JA3 string exactly as sent, trailing dash included", () => {
    const text = "771,4865-4866-,0-23-65281-";
    expect(sessionOf(parseJa3JlLine(record({ JA3: text }))).ja3).toEqual({ digest: JA3_DIGEST, text });
  });

  it("skips empty or null Raw and null elements, and keeps each certificate once", () => {
    const certificates = [{ Raw: "" }, null, { CertHash: "x" }, { Raw: LEAF2_BASE64 }, { Raw: LEAF2_BASE64 }];
    const session = sessionOf(parseJa3JlLine(record({ Certificates: certificates })));
    expect(session.chain.map(sha1)).toEqual(["7214d0a6c3dac03367bd2c513765c6733aebb1bd"]);
    expect(sessionOf(parseJa3JlLine(record({ Certificates: [{ Raw: null }] }))).chain).toEqual([]);
  });

  it("accepts numeric ports", () => {
    const session = sessionOf(parseJa3JlLine(record({ ServerPort: 8443, ClientPort: 50000 })));
    expect(session.serverPort).toBe(8443);
  });

  it("canonicalises IPv6 server addresses", () => {
    const session = sessionOf(parseJa3JlLine(record({ ServerIP: "2001:DB8:0:0:0:0:0:1", ClientIP: "::1" })));
    expect(session.serverIp).toBe("2001:db8::1");
  });

  it("reads RFC 3339 offsets and fractions", () => {
    const time = (Timestamp: string) => parseJa3JlLine(record({ Timestamp }));
    const at = (iso: string) => Math.floor(Date.parse(iso) / 1000);
    expect(sessionOf(time("2024-02-29T23:59:59.999999999-05:30")).time).toBe(at("2024-03-01T05:29:59Z"));
    expect(sessionOf(time("2026-11-26T04:16:59Z")).time).toBe(at("2026-11-26T04:16:59Z"));
    expect(sessionOf(time("2026-11-26t04:16:59.5z")).time).toBe(at("2026-11-26T04:16:59Z"));
    expect(sessionOf(time("1970-01-01T01:00:00+01:00")).time).toBe(0);
  });
});

describe("malformed ja3-jl lines", () => {
  it.each<[string, string, TlsRejectReason]>([
    ["bad JSON", '{"ServerIP":"127.0.0.1",', "bad_json"],
    ["a truncated sample line", (allLines[0] ?? "").slice(0, 5000), "bad_json"],
    ["an array", `[${record({})}]`, "not_an_object"],
    ["a string", '"ServerIP"', "not_an_object"],
    ["JSON null", "null", "not_an_object"],
    ["a bad server IP", record({ ServerIP: "127.0.0.256" }), "bad_ip"],
    ["a missing server IP", record({ ServerIP: undefined }), "bad_ip"],
    ["a bad client IP", record({ ClientIP: "localhost" }), "bad_ip"],
    ["port 99999", record({ ServerPort: "99999" }), "bad_port"],
    ["a negative port", record({ ServerPort: "-1" }), "bad_port"],
    ["a fractional port", record({ ServerPort: 443.5 }), "bad_port"],
    ["a bad client port", record({ ClientPort: "65536" }), "bad_port"],
    ["a timestamp without zone", record({ Timestamp: "2019-06-12T15:08:09" }), "bad_timestamp"],
    ["a timestamp on 30 February", record({ Timestamp: "2019-02-30T15:08:09Z" }), "bad_timestamp"],
    ["a timestamp as a number", record({ Timestamp: 1560345000 }), "bad_timestamp"],
    ["a timestamp before 1970", record({ Timestamp: "1969-12-31T23:59:59Z" }), "bad_timestamp"],
    ["a JA3 digest not hex", record({ JA3Digest: "z3a6cf0bf2e690ac8e1ecf6081f17a50" }), "bad_ja3"],
    ["an uppercase JA3 digest", record({ JA3Digest: JA3_DIGEST.toUpperCase() }), "bad_ja3"],
    ["a short JA3S digest", record({ JA3SDigest: "0debd385" }), "bad_ja3"],
    ["a JA3 string without digest", record({ JA3Digest: "" }), "bad_ja3"],
    ["a JA3 string with letters", record({ JA3: "771,abc" }), "bad_ja3"],
    ["Raw not base64", record({ Certificates: [{ Raw: "not base64!" }] }), "bad_certificate_encoding"],
    ["Raw in base64url", record({ Certificates: [{ Raw: "MIIB-_" }] }), "bad_certificate_encoding"],
    [
      "Raw cut short",
      record({ Certificates: [{ Raw: LEAF2_BASE64.slice(0, 400) }] }),
      "bad_certificate_encoding",
    ],
    ["Raw not DER", record({ Certificates: [{ Raw: "aGVsbG8=" }] }), "bad_certificate_encoding"],
    ["Raw a number", record({ Certificates: [{ Raw: 12 }] }), "bad_certificate_encoding"],
    ["Certificates an object", record({ Certificates: { Raw: LEAF2_BASE64 } }), "bad_certificate_encoding"],
    ["a certificate a string", record({ Certificates: [LEAF2_BASE64] }), "bad_certificate_encoding"],
  ])("rejects %s", (_, line, reason) => {
    expectReject(parseJa3JlLine(line), reason);
  });

  it("ignores CertHash, SerialNumber and PublicKey, even when they are wrong", () => {
    const line = record({
      Certificates: [{ CertHash: "00", SerialNumber: -1, PublicKey: "x", Raw: LEAF2_BASE64 }],
    });
    expect(sessionOf(parseJa3JlLine(line)).chain.map(sha1)).toEqual([
      "7214d0a6c3dac03367bd2c513765c6733aebb1bd",
    ]);
  });

  it("treats empty and whitespace lines as blank", () => {
    expect(parseJa3JlLine("")).toEqual({ kind: "blank" });
    expect(parseJa3JlLine("  \t\r")).toEqual({ kind: "blank" });
  });

  it("cuts long details to 120 characters", () => {
    const result = parseJa3JlLine(record({ ServerIP: "x".repeat(500) }));
    expectReject(result, "bad_ip");
  });

  it("does not throw on deeply nested input", () => {
    const deep = `{"ServerIP":"127.0.0.1","X":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    expect(() => parseJa3JlLine(deep)).not.toThrow();
  });
});
