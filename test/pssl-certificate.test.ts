import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CertificateCache,
  type CertificateError,
  type CertificateFacts,
  circlDate,
  parseCertificate,
} from "../src/pssl/certificate.js";

interface Expected {
  name: string;
  der_file: string;
  sha1: string;
  sha256: string;
  md5: string;
  subject_compat: string;
  issuer_compat: string;
  subject_circl: string;
  issuer_circl: string;
  serial_hex: string;
  serial_dec: string;
  not_before_iso: string;
  not_after_iso: string;
  key_type: string;
  key_bits: number;
  curve: string | null;
  signature_algorithm: string;
  san: string;
  is_ca: boolean;
  self_signed: boolean;
}

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const FIXTURES = new URL("fixtures/pssl/", import.meta.url);
const EXPECTED: Expected[] = JSON.parse(readFileSync(new URL("expected-pssl.json", SAMPLES), "utf8"));

function facts(result: CertificateFacts | CertificateError): CertificateFacts {
  if ("error" in result) throw new Error(result.error);
  return result;
}

function fixture(name: string): { der: Buffer; text: string } {
  const pem = readFileSync(new URL(`${name}.pem`, FIXTURES), "latin1");
  return {
    der: Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"),
    text: readFileSync(new URL(`${name}.txt`, FIXTURES), "utf8"),
  };
}

/** `2026-11-26T04:14:39Z`, the form of expected-pssl.json. */
function isoSeconds(epochSeconds: number): string {
  return circlDate(epochSeconds).replace("+00:00", "Z");
}

describe("the sample certificates, field by field against expected-pssl.json", () => {
  for (const expected of EXPECTED) {
    it(expected.name, () => {
      const der = readFileSync(new URL(expected.der_file, SAMPLES));
      const f = facts(parseCertificate(der));
      expect(f.sha1).toBe(expected.sha1);
      expect(f.sha256).toBe(expected.sha256);
      expect(f.md5).toBe(expected.md5);
      expect(f.subject).toBe(expected.subject_circl);
      expect(f.issuer).toBe(expected.issuer_circl);
      expect(f.subjectCompat).toBe(expected.subject_compat);
      expect(f.issuerCompat).toBe(expected.issuer_compat);
      expect(f.serialHex).toBe(expected.serial_hex);
      expect(f.serialDecimal).toBe(expected.serial_dec);
      expect(isoSeconds(f.notBefore)).toBe(expected.not_before_iso);
      expect(isoSeconds(f.notAfter)).toBe(expected.not_after_iso);
      expect(f.keyType).toBe(expected.key_type);
      expect(f.keyBits).toBe(expected.key_bits);
      // expected-pssl.json writes `prime256v1 / P-256`: OpenSSL's name, then NIST's.
      expect(f.curve ?? null).toBe(expected.curve?.split(" / ")[0] ?? null);
      expect(f.signatureAlgorithm).toBe(expected.signature_algorithm);
      expect(f.extensions.subjectAltName ?? "").toBe(expected.san);
      expect(f.isCa).toBe(expected.is_ca);
      expect(f.selfSigned).toBe(expected.self_signed);
    });
  }

  it("gives the PEM as the samples have it and the public key as a PUBLIC KEY PEM", () => {
    for (const expected of EXPECTED) {
      const der = readFileSync(new URL(expected.der_file, SAMPLES));
      const f = facts(parseCertificate(der));
      expect(f.pem).toBe(
        readFileSync(new URL(expected.der_file.replace(/\.der$/, ".pem"), SAMPLES), "latin1"),
      );
      expect(f.publicKeyPem).toBe(new X509Certificate(der).publicKey.export({ type: "spki", format: "pem" }));
    }
  });

  it("lists SAN DNS names, addresses and subject common names", () => {
    const leaf1 = facts(parseCertificate(readFileSync(new URL("certs/leaf1-rsa.der", SAMPLES))));
    expect(leaf1.dnsNames).toEqual(["www.example.lu", "example.lu", "*.example.lu"]);
    expect(leaf1.ipAddresses).toEqual(["127.0.0.1", "::1"]);
    expect(leaf1.commonNames).toEqual(["www.example.lu"]);
    const leaf5 = facts(parseCertificate(readFileSync(new URL("certs/leaf5-utf8.der", SAMPLES))));
    expect(leaf5.commonNames).toEqual(["Zürich"]);
    expect(leaf5.subject).toBe(
      "C=CH, L=Z\\xC3\\xBCrich, O=Z\\xC3\\xBCrcher Testdienst AG, CN=Z\\xC3\\xBCrich",
    );
  });
});

/** What `openssl x509 -text` says of a certificate's key, signature, validity and serial. */
function printed(text: string) {
  const field = (pattern: RegExp) => pattern.exec(text)?.[1];
  const date = (label: string) =>
    Date.parse(field(new RegExp(`${label} *: (.+ GMT)`))?.replace(/ +/g, " ") ?? "") / 1000;
  const serial = /Serial Number: (-?\d+) |Serial Number:\n +([0-9a-f:]+)/.exec(text);
  return {
    signatureAlgorithm: field(/Signature Algorithm: (\S+)/),
    keyAlgorithm: field(/Public Key Algorithm: (\S+)/),
    keyBits: Number(field(/Public-Key: \((\d+) bit\)/) ?? Number.NaN),
    curve: field(/ASN1 OID: (\S+)/),
    notBefore: date("Not Before"),
    notAfter: date("Not After"),
    // Small serials are printed in decimal, others as colon-separated lowercase hex bytes.
    serialDecimal: serial?.[1],
    serialHex: serial?.[2]?.replaceAll(":", "").toUpperCase(),
  };
}

const KEY_TYPES: Record<string, string> = {
  rsaEncryption: "RSA",
  rsassaPss: "RSA-PSS",
  "id-ecPublicKey": "EC",
  dsaEncryption: "DSA",
  ED25519: "Ed25519",
  ED448: "Ed448",
};

describe("other key types and odd certificates, against openssl x509 -text", () => {
  const keys = ["brainpool", "dsa", "ed25519", "ed448", "p521", "rsa-pss", "rsa1024-sha1", "secp256k1"];
  for (const key of keys) {
    it(`key-${key}`, () => {
      const { der, text } = fixture(`key-${key}`);
      const f = facts(parseCertificate(der));
      const openssl = printed(text);
      expect(f.signatureAlgorithm).toBe(openssl.signatureAlgorithm);
      expect(f.keyType).toBe(KEY_TYPES[openssl.keyAlgorithm ?? ""]);
      if (!Number.isNaN(openssl.keyBits)) expect(f.keyBits).toBe(openssl.keyBits);
      expect(f.curve).toBe(openssl.curve);
      expect(f.notBefore).toBe(openssl.notBefore);
      expect(f.notAfter).toBe(openssl.notAfter);
      expect(f.serialHex).toBe(openssl.serialHex);
      expect(f.selfSigned).toBe(true);
      expect(f.commonNames).toEqual([`key-${key}`]);
    });
  }

  it("gives Ed25519 and Ed448 the sizes OpenSSL 3.0 reports (s_client: 256 and 456 bit)", () => {
    expect(facts(parseCertificate(fixture("key-ed25519").der)).keyBits).toBe(256);
    expect(facts(parseCertificate(fixture("key-ed448").der)).keyBits).toBe(456);
  });

  it("names: negative serial, UTCTime 49 is 2049, GeneralizedTime, decoded common names", () => {
    const { der, text } = fixture("names");
    const f = facts(parseCertificate(der));
    expect(f.serialHex).toBe("-05");
    expect(f.serialDecimal).toBe("-5");
    expect(circlDate(f.notBefore)).toBe("2049-12-31T23:59:59+00:00");
    expect(circlDate(f.notAfter)).toBe("2050-01-01T00:00:00+00:00");
    expect(f.notBefore).toBe(printed(text).notBefore);
    expect(f.serialDecimal).toBe(printed(text).serialDecimal);
    expect(f.commonNames).toEqual(["Zürich", "Multi2", "x/CN=inner"]);
    expect(f.issuer).toBe("C=LU, CN=Multi2, OU=Multi1");
    expect(f.selfSigned).toBe(false);
  });

  it("ext-all: SAN names lowercased, addresses canonical, a CA that signed itself", () => {
    const f = facts(parseCertificate(fixture("ext-all").der));
    expect(f.dnsNames).toEqual(["www.example.lu", "*.example.lu"]);
    expect(f.ipAddresses).toEqual(["192.0.2.1", "2001:db8::1", "fe80::1:0:0:abcd"]);
    expect(f.serialHex).toBe("A1B2C3");
    expect(f.isCa).toBe(true);
    expect(f.selfSigned).toBe(true);
    expect(f.subject).toBe("C=LU, O=Synthetic, CN=ext-all");
  });

  it("ext-edge: same subject and issuer, but the AKID serial differs, so not self-signed", () => {
    const f = facts(parseCertificate(fixture("ext-edge").der));
    expect(f.subject).toBe(f.issuer);
    expect(f.selfSigned).toBe(false);
    expect(f.isCa).toBe(true);
    expect(f.dnsNames).toEqual(["bücher.example", "a-\u0001b"]);
    expect(f.ipAddresses).toEqual(["2001:db8::ff00:42:0"]);
    expect(f.extensions["1.2.3.4.5.6"]).toBe("DER:0C:05:68:65:6C:6C:6F");
  });

  it("ext-refused: extensions OpenSSL cannot print do not stop the certificate", () => {
    const f = facts(parseCertificate(fixture("ext-refused").der));
    expect(Object.keys(f.extensions)).toHaveLength(12);
    expect(Object.values(f.extensions).every((text) => text.startsWith("DER:"))).toBe(true);
    expect(f.isCa).toBe(false);
  });
});

describe("parseCertificate on bad input", () => {
  const leaf1 = readFileSync(new URL("certs/leaf1-rsa.der", SAMPLES));

  it("returns an error, never throws", () => {
    const bad = [
      Buffer.from("garbage"),
      Buffer.alloc(0),
      Buffer.from([0x30, 0x00]),
      Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]),
      leaf1.subarray(0, 100),
      Buffer.concat([leaf1, Buffer.from([0])]),
    ];
    for (const der of bad) {
      const result = parseCertificate(der);
      expect("error" in result && result.error.startsWith("not a certificate: ")).toBe(true);
    }
  });

  it("survives thousands of corrupted certificates", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let errors = 0;
    for (let k = 0; k < 1500; k++) {
      const der = Buffer.from(leaf1);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        der[Math.floor(random() * der.length)] = Math.floor(random() * 256);
      }
      const result = parseCertificate(der);
      if ("error" in result) errors++;
      else expect(result.sha1).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(errors).toBeGreaterThan(0);
  });
});

describe("circlDate", () => {
  it("prints epoch seconds the way CIRCL's cfetch does", () => {
    expect(circlDate(1405599856)).toBe("2014-07-17T12:24:16+00:00");
    expect(circlDate(0)).toBe("1970-01-01T00:00:00+00:00");
  });
});

describe("CertificateCache", () => {
  const ders = ["leaf1-rsa", "leaf2-ecdsa", "leaf4-expired"].map((name) =>
    readFileSync(new URL(`certs/${name}.der`, SAMPLES)),
  );

  it("parses a certificate once and shares the result", () => {
    const cache = new CertificateCache();
    const first = cache.get(ders[0] as Buffer);
    expect(cache.get(Buffer.from(ders[0] as Buffer))).toBe(first);
    expect(facts(first).sha1).toBe("9944a665e9a9701a9e0e6246bb49bbd182b1d9c8");
    expect(cache.size).toBe(1);
  });

  it("keeps at most maxEntries, dropping the oldest first", () => {
    const cache = new CertificateCache(2);
    const [a, b, c] = ders as [Buffer, Buffer, Buffer];
    const first = cache.get(a);
    const second = cache.get(b);
    cache.get(c);
    expect(cache.size).toBe(2);
    expect(cache.get(b)).toBe(second);
    expect(cache.get(a)).not.toBe(first);
    expect(cache.get(a)).toEqual(first);
  });

  it("caches errors too", () => {
    const cache = new CertificateCache();
    const garbage = Buffer.from("garbage");
    expect(cache.get(garbage)).toBe(cache.get(garbage));
    expect("error" in cache.get(garbage)).toBe(true);
  });

  it("refuses a bound that is not a positive integer", () => {
    expect(() => new CertificateCache(0)).toThrow(RangeError);
    expect(() => new CertificateCache(1.5)).toThrow(RangeError);
  });
});
