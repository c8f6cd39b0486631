/**
 * Properties of the two TLS parsers: ja3-jl (D4 TLS sensor, Go field names) and Suricata EVE `tls`
 * events. The oracle is a model of a session: the generator knows the session each line must give.
 */
import { describe, expect, it } from "vitest";
import { parseIp } from "../../src/dns/ip.js";
import { parseEveLine } from "../../src/ingest/eve-tls-parser.js";
import { parseJa3JlLine } from "../../src/ingest/ja3-jl-parser.js";
import type { ParsedTlsLine, TlsSession } from "../../src/ingest/tls-session.js";
import {
  fc,
  ipSample,
  junkLine,
  lowerAscii,
  mutated,
  nastyName,
  runs,
  timed,
  timeout,
  utf16Unit,
  withoutTrailingDot,
} from "./fuzz.js";
import { CERTIFICATES, expectWellFormedTls } from "./invariants.js";

// ---------------------------------------------------------------------------------------------------
// Models.

const two = (n: number) => String(n).padStart(2, "0");

/** A session time and an RFC 3339 text for it: any fraction, `Z` or an offset (with a colon or not). */
const timeSample = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffffffff }),
    fc.oneof(fc.constant(""), fc.stringMatching(/^\.[0-9]{1,9}$/)),
    fc.oneof(fc.constant(undefined), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 })),
    fc.boolean(),
    fc.boolean(),
  )
  .filter(([t, , offset]) => {
    const local = t + (offset ?? 0) * 60;
    return local >= 0 && local < 253402300800; // years 1970..9999
  })
  .map(([t, fraction, offset, colon, lowerZ]) => {
    const d = new Date((t + (offset ?? 0) * 60) * 1000);
    const date = `${String(d.getUTCFullYear()).padStart(4, "0")}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
    const clock = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    let zone = lowerZ ? "z" : "Z";
    if (offset !== undefined) {
      const abs = Math.abs(offset);
      zone = `${offset < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${colon ? ":" : ""}${two(abs % 60)}`;
    }
    return { time: t, text: `${date}T${clock}${fraction}${zone}` };
  });

const md5 = fc.stringMatching(/^[0-9a-f]{32}$/);
const ja3Text = fc.stringMatching(
  /^[0-9]{1,3},([0-9]{1,5}-){0,5}[0-9]{0,5},[0-9-]{0,12},[0-9-]{0,8},[0-9-]{0,4}$/,
);
const digestSample = fc.option(fc.tuple(md5, fc.oneof(ja3Text, fc.constant(""))), { nil: undefined });

const certificateSample = fc.constantFrom(...CERTIFICATES);

interface SessionModel {
  time: { time: number; text: string };
  server: { bytes: Uint8Array; text: string };
  client: { bytes: Uint8Array; text: string } | undefined;
  port: number;
  clientPort: number;
  portAsString: boolean;
  ja3: [string, string] | undefined;
  ja3s: [string, string] | undefined;
  chain: Buffer[] | null;
  extra: Record<string, unknown>;
}

const sessionModel: fc.Arbitrary<SessionModel> = fc.record({
  time: timeSample,
  server: ipSample,
  client: fc.option(ipSample, { nil: undefined }),
  port: fc.integer({ min: 0, max: 65535 }),
  clientPort: fc.integer({ min: 0, max: 65535 }),
  portAsString: fc.boolean(),
  ja3: digestSample,
  ja3s: digestSample,
  chain: fc.option(fc.array(certificateSample, { maxLength: 4 }), { nil: null }),
  extra: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
});

function expectedSession(m: SessionModel): TlsSession {
  const session: TlsSession = {
    time: m.time.time,
    serverIp: parseIp(m.server.text)?.text ?? "?",
    serverPort: m.port,
    chain: (m.chain ?? []).filter((der, k, all) => all.findIndex((other) => other.equals(der)) === k),
  };
  if (m.ja3 !== undefined) session.ja3 = { digest: m.ja3[0], text: m.ja3[1] };
  if (m.ja3s !== undefined) session.ja3s = { digest: m.ja3s[0], text: m.ja3s[1] };
  return session;
}

/** A ja3-jl line as the Go sensor writes it: compact, Go x509 fields around Raw, huge integers. */
function ja3Line(m: SessionModel, order: number): string {
  const port = (p: number) => (m.portAsString ? String(p) : p);
  const record: Record<string, unknown> = {
    ...m.extra,
    ServerIP: m.server.text,
    ServerPort: port(m.port),
    ...(m.client ? { ClientIP: m.client.text, ClientPort: port(m.clientPort) } : {}),
    TLSH: "",
    Timestamp: m.time.text,
    JA3: m.ja3?.[1] ?? "",
    JA3Digest: m.ja3?.[0] ?? "",
    JA3S: m.ja3s?.[1] ?? "",
    JA3SDigest: m.ja3s?.[0] ?? "",
    Certificates:
      m.chain === null
        ? null
        : m.chain.map((der) => ({
            CertHash: "0".repeat(40),
            Raw: der.toString("base64"),
            SerialNumber: "__BIG__",
            PublicKey: { N: "__HUGE__", E: 65537 },
            DNSNames: null,
            IPAddresses: ["127.0.0.1"],
          })),
  };
  const keys = Object.keys(record);
  const rotated = [...keys.slice(order % keys.length), ...keys.slice(0, order % keys.length)];
  const text = JSON.stringify(Object.fromEntries(rotated.map((k) => [k, record[k]])));
  return text.replaceAll('"__BIG__"', "16848634194550756814123").replaceAll('"__HUGE__"', "9".repeat(1300));
}

function eveLine(m: SessionModel, sni: string | undefined, order: number): string {
  const tls: Record<string, unknown> = {
    subject: "C=LU, CN=www.example.lu",
    issuerdn: "C=LU, CN=CA",
    serial: "10:64:04",
    fingerprint: "99:44:a6:65:e9:a9:70:1a:9e:0e:62:46:bb:49:bb:d1:82:b1:d9:c8",
    version: "TLS 1.2",
    notbefore: "2026-11-26T04:14:39",
    notafter: "2027-11-26T04:14:39",
  };
  if (sni !== undefined) tls.sni = sni;
  if (m.ja3) tls.ja3 = { hash: m.ja3[0], string: m.ja3[1] };
  if (m.ja3s) tls.ja3s = { hash: m.ja3s[0], string: m.ja3s[1] };
  if (m.chain !== null && m.chain.length > 0) {
    tls.certificate = m.chain[0]?.toString("base64");
    tls.chain = m.chain.map((der) => der.toString("base64"));
  }
  const event: Record<string, unknown> = {
    ...m.extra,
    timestamp: m.time.text,
    flow_id: 1802335475252990,
    event_type: "tls",
    src_ip: m.client?.text ?? "127.0.0.1",
    src_port: m.clientPort,
    dest_ip: m.server.text,
    dest_port: m.port,
    proto: "TCP",
    tls,
  };
  const keys = Object.keys(event);
  const rotated = [...keys.slice(order % keys.length), ...keys.slice(0, order % keys.length)];
  return JSON.stringify(Object.fromEntries(rotated.map((k) => [k, event[k]])));
}

/** The same result for the comparison of two parse paths: rejects compare by reason (details quote the line). */
function comparable(result: ParsedTlsLine): unknown {
  return result.kind === "reject" ? { kind: "reject", reason: result.reason } : result;
}

const anyText = fc.oneof(
  junkLine,
  fc.string({ unit: utf16Unit, maxLength: 300 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null"),
);

/** Compact JSON objects of the keys the fast path reads, holding values of every JSON type. */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-0, 1e21, 1.5e-7, 0.1, -1, 2 ** 64, "", "\\", "\u0000", "é"),
);
const headerValue = fc.oneof(
  anyJson,
  ipSample.map((ip) => ip.text),
  timeSample.map((t) => t.text),
  md5,
  ja3Text,
);
const certificateObject = fc.oneof(
  fc.dictionary(
    fc.constantFrom("Raw", "CertHash", "SerialNumber", "raw", "Raw "),
    fc.oneof(
      anyJson,
      certificateSample.map((d) => d.toString("base64")),
    ),
  ),
  anyJson,
);
const fastPathShapes = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(
        "ServerIP",
        "ServerPort",
        "ClientIP",
        "ClientPort",
        "Timestamp",
        "JA3",
        "JA3Digest",
        "JA3S",
        "JA3SDigest",
        "TLSH",
        "Other",
      ),
      headerValue,
    ),
    fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.array(certificateObject, { maxLength: 3 }),
      anyJson,
    ),
    fc.boolean(),
  )
  .map(([header, certificates, duplicate]) => {
    const text = JSON.stringify(
      certificates === undefined ? header : { ...header, Certificates: certificates },
    );
    // A repeated key: JSON.parse keeps the last one, and so must the fast path.
    return duplicate && text.length > 2 ? `{"ServerPort":"1",${text.slice(1)}` : text;
  });

describe("ja3-jl parser: properties", () => {
  it(
    "never throws on any text or mutated line, and every result keeps its invariants",
    () => {
      const input = fc.oneof(
        anyText,
        mutated(fc.tuple(sessionModel, fc.nat()).map(([m, o]) => ja3Line(m, o))),
      );
      fc.assert(
        fc.property(input, (line) => expectWellFormedTls(timed("ja3-jl", () => parseJa3JlLine(line)))),
        runs(8),
      );
    },
    timeout(8),
  );

  it(
    "parses a model line to exactly the session the model says (huge integers, null chain, extra fields)",
    () => {
      fc.assert(
        fc.property(sessionModel, fc.nat(), (m, order) => {
          expect(timed("ja3-jl", () => parseJa3JlLine(ja3Line(m, order)))).toEqual({
            kind: "session",
            session: expectedSession(m),
          });
        }),
        runs(2),
      );
    },
    timeout(2),
  );

  it(
    "gives the same answer on the fast path as through JSON.parse, for any line (model, mutated or random JSON)",
    () => {
      const input = fc.oneof(
        fc.tuple(sessionModel, fc.nat()).map(([m, o]) => ja3Line(m, o)),
        mutated(
          fc.tuple(sessionModel, fc.nat()).map(([m, o]) => ja3Line(m, o)),
          fc.constantFrom(...'{}[]":,0123456789.-eE+ntrufalse\\'),
        ),
        fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "null"),
        fastPathShapes,
      );
      fc.assert(
        fc.property(input, (line) => {
          // A trailing space is valid JSON that the fast path declines: this goes through JSON.parse.
          expect(comparable(parseJa3JlLine(line))).toEqual(comparable(parseJa3JlLine(`${line} `)));
        }),
        runs(6),
      );
    },
    timeout(6),
  );

  it(
    "rejects a Raw that is not strict base64 of one whole DER sequence",
    () => {
      const badRaw = fc.oneof(
        certificateSample.map((der) => der.toString("base64url")),
        certificateSample.map((der) => der.toString("base64").replace(/=+$/, "")),
        fc
          .tuple(certificateSample, fc.integer({ min: 1, max: 60 }))
          .map(([der, cut]) => der.subarray(0, der.length - cut).toString("base64")),
        fc
          .tuple(certificateSample, fc.uint8Array({ minLength: 1, maxLength: 4 }))
          .map(([der, more]) => Buffer.concat([der, more]).toString("base64")),
        certificateSample.map((der) => ` ${der.toString("base64")}`),
        certificateSample.map((der) => der.toString("base64").replace(/(.{64})/g, "$1\n")),
      );
      fc.assert(
        fc.property(sessionModel, badRaw, (m, raw) => {
          fc.pre(!CERTIFICATES.some((der) => der.toString("base64") === raw));
          const line = ja3Line({ ...m, chain: [] }, 0).replace(
            '"Certificates":[]',
            () => `"Certificates":[{"Raw":${JSON.stringify(raw)}}]`,
          );
          expect(parseJa3JlLine(line)).toMatchObject({ kind: "reject", reason: "bad_certificate_encoding" });
        }),
        runs(2),
      );
    },
    timeout(2),
  );
});

describe("EVE parser: properties", () => {
  it(
    "never throws on any text or mutated event, and every result keeps its invariants",
    () => {
      const input = fc.oneof(
        anyText,
        mutated(fc.tuple(sessionModel, fc.nat()).map(([m, o]) => eveLine(m, "www.example.lu", o))),
      );
      fc.assert(
        fc.property(input, (line) => expectWellFormedTls(timed("eve", () => parseEveLine(line)))),
        runs(8),
      );
    },
    timeout(8),
  );

  it(
    "parses a model event to exactly the session the model says",
    () => {
      fc.assert(
        fc.property(sessionModel, fc.nat(), (m, order) => {
          const want = expectedSession({ ...m, chain: m.chain ?? [] });
          want.sni = "www.example.lu";
          if (want.chain.length === 0) {
            want.leafWithoutDer = {
              sha1: "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8",
              subject: "C=LU, CN=www.example.lu",
              issuer: "C=LU, CN=CA",
              serial: "10:64:04",
              notBefore: Date.UTC(2026, 10, 26, 4, 14, 39) / 1000,
              notAfter: Date.UTC(2027, 10, 26, 4, 14, 39) / 1000,
            };
          }
          expect(parseEveLine(eveLine(m, "WWW.Example.LU.", order))).toEqual({
            kind: "session",
            session: want,
          });
        }),
        runs(2),
      );
    },
    timeout(2),
  );

  it(
    "an SNI with key-injection characters is dropped or kept exactly (ASCII case and one trailing dot aside), never the session",
    () => {
      fc.assert(
        fc.property(sessionModel, nastyName, (m, sni) => {
          const result = parseEveLine(eveLine(m, sni, 0));
          expectWellFormedTls(result);
          expect(result.kind).toBe("session");
          if (result.kind !== "session" || result.session.sni === undefined) return;
          expect(result.session.sni).toBe(lowerAscii(withoutTrailingDot(sni)));
        }),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "skips every other event type, naming it",
    () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 2 }), sessionModel, (type, m) => {
          fc.pre(type !== "tls");
          const line = eveLine(m, undefined, 0).replace(
            '"event_type":"tls"',
            () => `"event_type":${JSON.stringify(type)}`,
          );
          const result = parseEveLine(line);
          expectWellFormedTls(result);
          expect(result.kind).toBe("skip");
        }),
        runs(2),
      );
    },
    timeout(2),
  );

  it(
    "both parsers stay fast on long adversarial lines (deep nesting, long numbers, escapes)",
    () => {
      const piece = fc.constantFrom(
        "[",
        '{"a":',
        '"',
        "\\",
        "0",
        "-",
        "1e",
        '{"Certificates":[',
        '{"Raw":"',
        "\\u00",
        ",",
      );
      fc.assert(
        fc.property(
          piece,
          fc.integer({ min: 1_000, max: 50_000 }),
          fc.constantFrom("", "]", "}", '"}'),
          (p, n, end) => {
            const line = p.repeat(n) + end;
            expectWellFormedTls(timed("ja3-jl long line", () => parseJa3JlLine(line), 250));
            expectWellFormedTls(timed("eve long line", () => parseEveLine(line), 250));
          },
        ),
        runs(0.3),
      );
    },
    timeout(1),
  );
});
