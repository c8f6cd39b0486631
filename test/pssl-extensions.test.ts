import { readFileSync } from "node:fs";
import { type ASN1Element, ASN1TagClass, BERElement, ObjectIdentifier } from "asn1-ts";
import { describe, expect, it } from "vitest";
import {
  type CertificateExtension,
  extensionShortName,
  extensionTexts,
  opensslExtensionText,
} from "../src/pssl/openssl-extensions.js";

const SAMPLES = new URL("../../shared/samples/certs/", import.meta.url);
const FIXTURES = new URL("fixtures/pssl/", import.meta.url);

const SAMPLE_NAMES = [
  "leaf1-rsa",
  "leaf2-ecdsa",
  "leaf3-selfsigned",
  "leaf4-expired",
  "leaf5-utf8",
  "ca-inter",
  "ca-root",
];
const FIXTURE_NAMES = [
  "ext-all",
  "ext-edge",
  "ext-refused",
  "names",
  "key-brainpool",
  "key-dsa",
  "key-ed25519",
  "key-ed448",
  "key-p521",
  "key-rsa-pss",
  "key-rsa1024-sha1",
  "key-secp256k1",
];

// The OIDs openssl-extensions.ts renders, with the header `openssl x509 -text` prints for each.
const RENDERED = new Map([
  ["2.5.29.17", ["X509v3 Subject Alternative Name", "subjectAltName"]],
  ["2.5.29.18", ["X509v3 Issuer Alternative Name", "issuerAltName"]],
  ["2.5.29.19", ["X509v3 Basic Constraints", "basicConstraints"]],
  ["2.5.29.15", ["X509v3 Key Usage", "keyUsage"]],
  ["2.5.29.37", ["X509v3 Extended Key Usage", "extendedKeyUsage"]],
  ["2.5.29.14", ["X509v3 Subject Key Identifier", "subjectKeyIdentifier"]],
  ["2.5.29.35", ["X509v3 Authority Key Identifier", "authorityKeyIdentifier"]],
  ["2.5.29.31", ["X509v3 CRL Distribution Points", "crlDistributionPoints"]],
  ["2.5.29.46", ["X509v3 Freshest CRL", "freshestCRL"]],
  ["1.3.6.1.5.5.7.1.1", ["Authority Information Access", "authorityInfoAccess"]],
  ["1.3.6.1.5.5.7.1.11", ["Subject Information Access", "subjectInfoAccess"]],
  ["2.5.29.32", ["X509v3 Certificate Policies", "certificatePolicies"]],
]);

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

function certificate(name: string): { der: Buffer; text: string } {
  const base = SAMPLE_NAMES.includes(name) ? SAMPLES : FIXTURES;
  return {
    der: derOf(readFileSync(new URL(`${name}.pem`, base), "latin1")),
    text: readFileSync(new URL(`${name}.txt`, FIXTURES), "utf8"),
  };
}

/** The extensions of a certificate, read independently of src/ (asn1-ts directly). */
function rawExtensions(der: Buffer): CertificateExtension[] {
  const root = new BERElement();
  root.fromBytes(der);
  const [tbs] = root.components;
  const tagged = tbs?.components.find(
    (f: ASN1Element) => f.tagClass === ASN1TagClass.context && f.tagNumber === 3,
  );
  const list = tagged?.components[0]?.components ?? [];
  return list.map((extension) => {
    const fields = extension.components;
    const oid = ObjectIdentifier.fromBytes(fields[0]?.value ?? new Uint8Array()).toString();
    const critical = fields.length === 3 && (fields[1]?.value[0] ?? 0) !== 0;
    return { oid, critical, value: fields[fields.length - 1]?.value ?? new Uint8Array() };
  });
}

interface PrintedExtension {
  header: string;
  critical: boolean;
  /** The text OpenSSL printed at indent 16, without the newline `X509V3_extensions_print` adds. */
  body: string;
}

/** The extensions of `openssl x509 -text` output, in order. */
function printedExtensions(text: string): PrintedExtension[] {
  const start = text.indexOf("        X509v3 extensions:\n");
  if (start < 0) return [];
  const section = text.slice(
    text.indexOf("\n", start) + 1,
    text.indexOf("\n    Signature Algorithm:", start) + 1,
  );
  const headers = [...section.matchAll(/^ {12}(\S[^\n]*): (critical)?\n/gm)];
  return headers.map((header, k) => {
    const from = (header.index ?? 0) + header[0].length;
    const to = headers[k + 1]?.index ?? section.length;
    return { header: header[1] ?? "", critical: header[2] === "critical", body: section.slice(from, to - 1) };
  });
}

/** OpenSSL's `ASN1_STRING_print`, what `-text` shows for an extension it could not print. */
function rawPrint(bytes: Uint8Array): string {
  return Array.from(bytes, (b) =>
    (b >= 0x20 && b <= 0x7e) || b === 10 || b === 13 ? String.fromCharCode(b) : ".",
  ).join("");
}

function hexColon(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(":");
}

describe("extension texts against openssl x509 -text (OpenSSL 3.0.19 fixtures)", () => {
  const compared = new Set<string>();
  const refused = new Set<string>();

  for (const name of [...SAMPLE_NAMES, ...FIXTURE_NAMES]) {
    it(`${name}: every rendered extension equals OpenSSL's text byte for byte`, () => {
      const { der, text } = certificate(name);
      const extensions = rawExtensions(der);
      const printed = printedExtensions(text);
      expect(printed).toHaveLength(extensions.length);
      extensions.forEach((extension, k) => {
        const openssl = printed[k];
        if (!openssl) throw new Error(`no printed extension ${k}`);
        expect(openssl.critical, extension.oid).toBe(extension.critical);
        const rendered = RENDERED.get(extension.oid);
        if (rendered) expect(openssl.header).toBe(rendered[0]);
        const ours = opensslExtensionText(extension.oid, extension.value, 16);
        if (ours !== undefined) {
          expect(ours, `${name} ${openssl.header}`).toBe(openssl.body);
          compared.add(extension.oid);
        } else if (rendered) {
          // We decline only where OpenSSL declined too: it then shows the raw extnValue.
          expect(openssl.body, `${name} ${openssl.header}`).toBe(" ".repeat(16) + rawPrint(extension.value));
          refused.add(extension.oid);
        }
      });
    });
  }

  it("compared every rendered extension kind, and saw each one refused", () => {
    expect([...compared].sort()).toEqual([...RENDERED.keys()].sort());
    expect([...refused].sort()).toEqual([...RENDERED.keys()].sort());
  });
});

describe("extensionTexts (the cfetch `extension` object)", () => {
  it("gives leaf1-rsa's extensions at indent 0, keyed by OpenSSL short name", () => {
    const { der } = certificate("leaf1-rsa");
    expect(extensionTexts(rawExtensions(der))).toEqual({
      basicConstraints: "CA:FALSE",
      keyUsage: "Digital Signature, Key Encipherment",
      extendedKeyUsage: "TLS Web Server Authentication, TLS Web Client Authentication",
      subjectKeyIdentifier: "BB:13:BC:59:1F:BB:D6:C8:C3:ED:B8:23:28:E0:EA:22:F6:10:2D:D8",
      authorityKeyIdentifier: "71:F1:0B:34:92:71:6F:72:5E:20:02:65:96:22:68:AF:EF:79:E5:BD",
      subjectAltName:
        "DNS:www.example.lu, DNS:example.lu, DNS:*.example.lu, " +
        "IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
      authorityInfoAccess:
        "OCSP - URI:http://ocsp.d4-demo.net/\nCA Issuers - URI:http://pki.d4-demo.net/issuing-ca-1.der",
      crlDistributionPoints: "Full Name:\n  URI:http://pki.d4-demo.net/issuing-ca-1.crl",
      certificatePolicies: "Policy: 2.23.140.1.2.2",
    });
  });

  it("drops exactly OpenSSL's indentation at indent 0, even where OpenSSL glues two lines", () => {
    const { der } = certificate("ext-edge");
    const texts = extensionTexts(rawExtensions(der));
    expect(texts.crlDistributionPoints).toContain(
      "\nFull Name:\n  URI:http://crl.example/b.crlReasons:\n  <EMPTY>\n",
    );
    expect(texts.issuerAltName).toBe("<EMPTY>\n");
    expect(texts.freshestCRL).toBe('Relative Name:\n  O = Example + CN = "Delta, CRL"\n');
    expect(texts.subjectKeyIdentifier).toBe("");
    expect(texts.authorityKeyIdentifier).toBe("DNS:ca.example\nDirName:/CN=Synthetic\nserial:01:2C");
  });

  it("gives other and refused extensions as DER: and colon hex of the extnValue", () => {
    for (const name of ["ext-edge", "ext-refused"]) {
      const extensions = rawExtensions(certificate(name).der);
      const texts = extensionTexts(extensions);
      for (const { oid, value } of extensions) {
        const text = texts[extensionShortName(oid)];
        if (opensslExtensionText(oid, value) === undefined) expect(text).toBe(`DER:${hexColon(value)}`);
        else expect(text?.startsWith("DER:")).toBe(false);
      }
    }
    const texts = extensionTexts(rawExtensions(certificate("ext-edge").der));
    expect(texts["1.2.3.4.5.6"]).toBe("DER:0C:05:68:65:6C:6C:6F");
    expect(texts.nsComment).toMatch(/^DER:16:12:41:20:4E/);
  });

  it("keeps the first of two extensions with the same OID", () => {
    const texts = extensionTexts([
      { oid: "2.5.29.19", critical: true, value: Uint8Array.of(0x30, 0x03, 0x01, 0x01, 0xff) },
      { oid: "2.5.29.19", critical: false, value: Uint8Array.of(0x30, 0x00) },
    ]);
    expect(texts).toEqual({ basicConstraints: "CA:TRUE" });
  });

  it("never throws on garbage, whatever the OID", () => {
    const garbage = [
      Uint8Array.of(),
      Uint8Array.of(0x30),
      Uint8Array.of(0x30, 0x05, 0x01),
      Uint8Array.of(0xff, 0xff),
    ];
    for (const oid of RENDERED.keys()) {
      for (const value of garbage) expect(opensslExtensionText(oid, value)).toBeUndefined();
    }
    expect(extensionTexts([{ oid: "2.5.29.17", critical: false, value: Uint8Array.of(0x30) }])).toEqual({
      subjectAltName: "DER:30",
    });
  });
});

describe("extensionShortName", () => {
  it("uses OpenSSL's short names, and the dotted OID for unknown extensions", () => {
    for (const [oid, [, short]] of RENDERED) expect(extensionShortName(oid)).toBe(short);
    expect(extensionShortName("1.3.6.1.4.1.11129.2.4.2")).toBe("ct_precert_scts");
    expect(extensionShortName("2.16.840.1.113730.1.13")).toBe("nsComment");
    expect(extensionShortName("1.3.6.1.4.1.311.21.7")).toBe("1.3.6.1.4.1.311.21.7");
  });
});
