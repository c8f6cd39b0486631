import { readFileSync } from "node:fs";
import {
  ASN1Construction,
  type ASN1Element,
  ASN1TagClass,
  ASN1UniversalType,
  BERElement,
  ObjectIdentifier,
} from "asn1-ts";
import { describe, expect, it } from "vitest";
import {
  attributeShortName,
  attributeText,
  circlName,
  compatName,
  nameAttributes,
  onelineName,
} from "../src/pssl/distinguished-name.js";

interface Expected {
  name: string;
  der_file: string;
  subject_compat: string;
  issuer_compat: string;
  subject_circl: string;
  issuer_circl: string;
  subject_oneline: string;
  issuer_oneline: string;
}

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const FIXTURES = new URL("fixtures/pssl/", import.meta.url);
const EXPECTED: Expected[] = JSON.parse(readFileSync(new URL("expected-pssl.json", SAMPLES), "utf8"));

/** Issuer and subject Name DER of a certificate (TBS fields 3 and 5 after the version). */
function names(der: Uint8Array): { issuer: Uint8Array; subject: Uint8Array } {
  const root = new BERElement();
  root.fromBytes(der);
  const fields = root.components[0]?.components ?? [];
  const at = (k: number) => fields[k]?.toBytes() ?? new Uint8Array();
  return { issuer: at(3), subject: at(5) };
}

function pemDer(file: URL): Uint8Array {
  return Buffer.from(readFileSync(file, "latin1").replace(/-----[^-]+-----|\s/g, ""), "base64");
}

type Value = string | { tag: number; bytes: number[] | Uint8Array };

function element(tagClass: ASN1TagClass, construction: ASN1Construction, tag: number): BERElement {
  return new BERElement(tagClass, construction, tag);
}

/** A Name built with asn1-ts: RDNs of [OID, value] pairs; a plain string value is a UTF8String. */
function buildName(rdns: [string, Value][][]): Uint8Array {
  const sequence = element(ASN1TagClass.universal, ASN1Construction.constructed, ASN1UniversalType.sequence);
  sequence.sequence = rdns.map((rdn) => {
    const set = element(ASN1TagClass.universal, ASN1Construction.constructed, ASN1UniversalType.set);
    set.sequence = rdn.map(([oid, value]) => {
      const type = element(
        ASN1TagClass.universal,
        ASN1Construction.primitive,
        ASN1UniversalType.objectIdentifier,
      );
      type.objectIdentifier = ObjectIdentifier.fromString(oid);
      const { tag, bytes } = typeof value === "string" ? { tag: 12, bytes: Buffer.from(value) } : value;
      const constructed = tag === ASN1UniversalType.sequence || tag === ASN1UniversalType.set;
      const encoded = element(
        ASN1TagClass.universal,
        constructed ? ASN1Construction.constructed : ASN1Construction.primitive,
        tag,
      );
      encoded.value = Uint8Array.from(bytes);
      const pair = element(ASN1TagClass.universal, ASN1Construction.constructed, ASN1UniversalType.sequence);
      pair.sequence = [type, encoded];
      return pair;
    });
    return set;
  });
  return sequence.toBytes();
}

const C = "2.5.4.6";
const O = "2.5.4.10";
const OU = "2.5.4.11";
const CN = "2.5.4.3";
const EMAIL = "1.2.840.113549.1.9.1";

describe("the sample certificates", () => {
  for (const sample of EXPECTED) {
    it(`${sample.name}: compat, CIRCL and oneline forms of subject and issuer`, () => {
      const { issuer, subject } = names(pemDer(new URL(sample.der_file.replace(/\.der$/, ".pem"), SAMPLES)));
      expect(compatName(subject)).toBe(sample.subject_compat);
      expect(compatName(issuer)).toBe(sample.issuer_compat);
      expect(circlName(subject)).toBe(sample.subject_circl);
      expect(circlName(issuer)).toBe(sample.issuer_circl);
      expect(onelineName(subject)).toBe(sample.subject_oneline);
      expect(onelineName(issuer)).toBe(sample.issuer_oneline);
    });
  }

  it("leaf3: O=SMILE, CIRCL keeps its comma, and the long names after CN stay behind slashes", () => {
    const leaf3 = EXPECTED.find((sample) => sample.name === "leaf3-selfsigned");
    expect(leaf3?.subject_circl).toContain("O=SMILE, CIRCL, OU=D4 Project");
    expect(leaf3?.subject_circl).toContain(
      "CN=selfsigned.d4-demo.net/emailAddress=info@circl.lu/serialNumber=B123456" +
        "/businessCategory=Private Organization/jurisdictionC=LU",
    );
  });

  it("leaf5: UTF-8 bytes are \\xHH escapes", () => {
    const leaf5 = EXPECTED.find((sample) => sample.name === "leaf5-utf8");
    expect(leaf5?.subject_circl).toBe(
      "C=CH, L=Z\\xC3\\xBCrich, O=Z\\xC3\\xBCrcher Testdienst AG, CN=Z\\xC3\\xBCrich",
    );
  });
});

describe("an odd Name against OpenSSL 3.0 (fixtures/pssl/names.*)", () => {
  const { issuer, subject } = names(pemDer(new URL("names.pem", FIXTURES)));
  const lines = readFileSync(new URL("names.subject.txt", FIXTURES), "utf8").split("\n");
  const [compatSubject, compatIssuer, onelineSubject, onelineIssuer] = lines.map((line) =>
    line.replace(/^\w+=/, ""),
  );

  // Every string type, `/ + \ "` and control bytes, a multi-valued RDN (sorted by DER: CN before OU),
  // an unknown attribute type, a SEQUENCE value.
  const legacy =
    "/C=LU/O=a/b+c\\d/OU= spaced /CN=Z\\xFCrich/L=\\x00Z\\x00\\xFC \\xAC\\x00r\\x00i\\x00c\\x00h" +
    "/ST=\\x00\\x00\\x03\\xA9\\x00\\x01\\xD1\\x1E\\x00\\x00\\x00A/CN=Multi2/OU=Multi1/1.2.3.4.5=odd" +
    '/emailAddress=x@y.lu/description=say "hi"\\x09t now\\x7F/street=#hash,comma;semi<lt>gt=eq\\' +
    "/CN=x/CN=inner/DC=example/UID=u1/1.2.3.4.6=0\\x03\\x02\\x01\\x05/pseudonym=Z\\xC3\\xBC\\x0A\\x01";

  it("OpenSSL 3 slash form: `+` inside multi-valued RDNs, `\\/` and `\\+` in values", () => {
    expect(compatName(subject, { openssl3: true })).toBe(compatSubject);
    expect(compatName(issuer, { openssl3: true })).toBe(compatIssuer);
  });

  it("OpenSSL 1.x slash form (CIRCL's): the same without those escapes, `/` before every attribute", () => {
    expect(compatName(subject)).toBe(legacy);
    expect(compatName(issuer)).toBe("/C=LU/CN=Multi2/OU=Multi1");
  });

  it("CIRCL form: the 1.x slash form with `/` turned into `, ` before one or two capitals and `=`", () => {
    expect(circlName(subject)).toBe(
      "C=LU, O=a/b+c\\d, OU= spaced , CN=Z\\xFCrich, L=\\x00Z\\x00\\xFC \\xAC\\x00r\\x00i\\x00c\\x00h" +
        ", ST=\\x00\\x00\\x03\\xA9\\x00\\x01\\xD1\\x1E\\x00\\x00\\x00A, CN=Multi2, OU=Multi1/1.2.3.4.5=odd" +
        '/emailAddress=x@y.lu/description=say "hi"\\x09t now\\x7F/street=#hash,comma;semi<lt>gt=eq\\' +
        ", CN=x, CN=inner, DC=example/UID=u1/1.2.3.4.6=0\\x03\\x02\\x01\\x05/pseudonym=Z\\xC3\\xBC\\x0A\\x01",
    );
  });

  it("oneline form (XN_FLAG_ONELINE): quotes, backslash escapes, UTF-8 conversion, #DER dumps", () => {
    expect(onelineName(subject)).toBe(onelineSubject);
    expect(onelineName(issuer)).toBe(onelineIssuer);
  });

  it("attribute values as text", () => {
    const texts = nameAttributes(subject).map(attributeText);
    expect(texts.slice(0, 6)).toEqual(["LU", "a/b+c\\d", " spaced ", "Zürich", "Zü€rich", "Ω𝄞A"]);
    expect(texts).toContain("x/CN=inner");
  });
});

describe("compatName and circlName on built Names", () => {
  it("keep a comma inside a value and a slash before emailAddress", () => {
    const name = buildName([
      [[C, "LU"]],
      [[O, "SMILE, CIRCL"]],
      [[CN, "*.circl.lu"]],
      [[EMAIL, "info@circl.lu"]],
    ]);
    expect(compatName(name)).toBe("/C=LU/O=SMILE, CIRCL/CN=*.circl.lu/emailAddress=info@circl.lu");
    expect(circlName(name)).toBe("C=LU, O=SMILE, CIRCL, CN=*.circl.lu/emailAddress=info@circl.lu");
  });

  it("write BMPString as two bytes per character and UTF8String as its UTF-8 bytes", () => {
    const bmp = { tag: ASN1UniversalType.bmpString, bytes: Buffer.from("\u0000Z\u0000\u00fc", "latin1") };
    const name = buildName([[[CN, bmp]], [[O, "Zürcher"]]]);
    expect(compatName(name)).toBe("/CN=\\x00Z\\x00\\xFC/O=Z\\xC3\\xBCrcher");
    expect(circlName(name)).toBe("CN=\\x00Z\\x00\\xFC, O=Z\\xC3\\xBCrcher");
    expect(nameAttributes(name).map(attributeText)).toEqual(["Zü", "Zürcher"]);
  });

  it("leave a / in a value alone, unless what follows looks like an attribute (as OpenSSL does)", () => {
    expect(circlName(buildName([[[CN, "a/b"]], [[OU, "x"]]]))).toBe("CN=a/b, OU=x");
    expect(circlName(buildName([[[CN, "a/OU=b"]]]))).toBe("CN=a, OU=b");
    expect(compatName(buildName([[[CN, "a/b+c"]]]), { openssl3: true })).toBe("/CN=a\\/b\\+c");
  });

  it("turn a slash only before one or two uppercase letters and =", () => {
    const name = buildName([
      [[CN, "x"]],
      [["2.5.4.9", "street"]],
      [["0.9.2342.19200300.100.1.1", "uid"]],
      [["1.3.6.1.4.1.311.60.2.1.3", "LU"]],
      [["0.9.2342.19200300.100.1.25", "lu"]],
      [["2.5.4.8", "Lux"]],
    ]);
    expect(circlName(name)).toBe("CN=x/street=street/UID=uid/jurisdictionC=LU, DC=lu, ST=Lux");
  });

  it("write the members of a multi-valued RDN as separate attributes, in encoded order", () => {
    const name = buildName([
      [[C, "LU"]],
      [
        [OU, "b"],
        [CN, "a"],
      ],
    ]);
    expect(compatName(name)).toBe("/C=LU/OU=b/CN=a");
    expect(compatName(name, { openssl3: true })).toBe("/C=LU/OU=b+CN=a");
    expect(onelineName(name)).toBe("C = LU, OU = b + CN = a");
  });

  it("use the dotted OID for attribute types OpenSSL does not know", () => {
    expect(compatName(buildName([[["1.2.3.4.5", "v"]]]))).toBe("/1.2.3.4.5=v");
    expect(attributeShortName("2.5.4.97")).toBe("organizationIdentifier");
    expect(attributeShortName("1.3.6.1.4.1.311.60.2.1.3")).toBe("jurisdictionC");
  });

  it("give the empty string for the empty Name", () => {
    const empty = buildName([]);
    expect(compatName(empty)).toBe("");
    expect(circlName(empty)).toBe("");
    expect(onelineName(empty)).toBe("");
  });

  it("stop at the first attribute that does not fit maxLength", () => {
    const name = buildName([[[C, "LU"]], [[O, "a long organisation"]], [[CN, "x"]]]);
    expect(compatName(name, { maxLength: 10 })).toBe("/C=LU");
    expect(compatName(name, { maxLength: 28 })).toBe("/C=LU/O=a long organisation");
  });

  it("accept attributes already parsed, and a parsed element", () => {
    const der = buildName([[[C, "LU"]], [[CN, "x"]]]);
    const root = new BERElement();
    root.fromBytes(der);
    expect(circlName(nameAttributes(der))).toBe("C=LU, CN=x");
    expect(circlName(root as ASN1Element)).toBe("C=LU, CN=x");
  });

  it("keep the whole encoding of a value that is not a string", () => {
    const tagged = buildName([[[CN, { tag: ASN1UniversalType.sequence, bytes: [] }]]]);
    const [attribute] = nameAttributes(tagged);
    expect(attribute?.tag).toBe(ASN1UniversalType.sequence);
    expect(compatName(tagged)).toBe("/CN=0\\x00");
    expect(onelineName(tagged)).toBe("CN = #3000");
  });

  it("throw on DER that is not a Name", () => {
    expect(() => nameAttributes(Uint8Array.of(0x31, 0x00))).toThrow();
    expect(() => nameAttributes(Uint8Array.of(0x30, 0x02, 0x30, 0x00))).toThrow();
    expect(() => nameAttributes(Uint8Array.of(0x30, 0x05))).toThrow();
  });
});

describe("onelineName escapes", () => {
  it('quote values with , + ; < > or a leading # or space, and backslash-escape " and \\', () => {
    const value = (text: string) => onelineName(buildName([[[CN, text]]]));
    expect(value("a,b")).toBe('CN = "a,b"');
    expect(value("#x")).toBe('CN = "#x"');
    expect(value("x#")).toBe("CN = x#");
    expect(value("x ")).toBe('CN = "x "');
    expect(value('say "hi"')).toBe('CN = say \\"hi\\"');
    expect(value("a\\b")).toBe("CN = a\\\\b");
    expect(value("é\t")).toBe("CN = \\C3\\A9\\09");
  });
});
