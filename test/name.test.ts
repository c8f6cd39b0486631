import { describe, expect, it } from "vitest";
import { normalizeName, reverseName, unreverseName } from "../src/dns/name.js";

describe("normalizeName", () => {
  it("lowercases ASCII and drops one trailing dot", () => {
    expect(normalizeName("WWW.Example.LU.")).toBe("www.example.lu");
    expect(normalizeName("www.example.lu")).toBe("www.example.lu");
    expect(normalizeName("xn--zrich-kva.example.lu.")).toBe("xn--zrich-kva.example.lu");
    expect(normalizeName("1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")).toBe(
      "1.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
    );
  });

  it("keeps the root as a dot", () => {
    expect(normalizeName(".")).toBe(".");
  });

  it("allows characters that are legal in DNS data", () => {
    for (const name of ["_dmarc.example.lu", "*.example.lu", "a:b.example", "{x}.%y/z", "a|b", "a\\.b.lu"]) {
      expect(normalizeName(name), name).toBe(name);
    }
  });

  it("leaves escapes and non-ASCII alone while lowercasing the rest", () => {
    expect(normalizeName("\\065BC.Example.")).toBe("\\065bc.example");
    expect(normalizeName("ZÜRICH.Example")).toBe("zÜrich.example");
    expect(normalizeName("münchen.example.")).toBe("münchen.example");
    expect(normalizeName("a\\ .example")).toBeUndefined();
    expect(normalizeName("a\\..lu")).toBe("a\\..lu");
  });

  it("treats an escaped final dot as part of the label", () => {
    expect(normalizeName("a\\.")).toBe("a\\.");
    expect(normalizeName("a\\\\.")).toBe("a\\\\");
  });

  it("refuses empty labels", () => {
    for (const name of ["", "a..b", ".a", "..", "a..", ".a."])
      expect(normalizeName(name), name).toBeUndefined();
  });

  it("refuses spaces, control characters, DEL and NUL", () => {
    for (const name of ["a b", "a\u0000b", "a\tb", "a\rb", "a\nb", "a\u007fb", "a\u001fb"]) {
      expect(normalizeName(name), JSON.stringify(name)).toBeUndefined();
    }
  });

  it("refuses broken escapes", () => {
    for (const name of ["a\\", "a\\25", "a\\256", "a\\1x2", "a\\99"])
      expect(normalizeName(name), name).toBeUndefined();
    expect(normalizeName("a\\255")).toBe("a\\255");
  });

  it("refuses lone UTF-16 surrogates", () => {
    expect(normalizeName("a\ud800b")).toBeUndefined();
    expect(normalizeName("a\udc00b")).toBeUndefined();
    expect(normalizeName("a\u{1f600}b")).toBe("a\u{1f600}b");
  });

  it("limits labels to 63 octets in wire form", () => {
    expect(normalizeName(`${"a".repeat(63)}.lu`)).toBe(`${"a".repeat(63)}.lu`);
    expect(normalizeName(`${"a".repeat(64)}.lu`)).toBeUndefined();
    // An escape is one octet, however many characters it takes.
    expect(normalizeName(`${"\\065".repeat(63)}.lu`)).toBeDefined();
    expect(normalizeName(`${"\\065".repeat(64)}.lu`)).toBeUndefined();
    // Non-ASCII counts its UTF-8 octets: "é" is 2.
    expect(normalizeName(`${"é".repeat(31)}a`)).toBeDefined();
    expect(normalizeName(`${"é".repeat(32)}`)).toBeUndefined();
  });

  it("limits names to 255 octets in wire form", () => {
    // Four 62-octet labels and one of 1: 4 * 63 + 2 + 1 (root) = 255.
    const label = "a".repeat(62);
    const longest = `${label}.${label}.${label}.${label}.b`;
    expect(normalizeName(longest)).toBe(longest);
    expect(normalizeName(`${longest}.`)).toBe(longest);
    expect(normalizeName(`${label}.${label}.${label}.${label}.bc`)).toBeUndefined();
    expect(normalizeName(`${"abcdefghi.".repeat(30)}lu`)).toBeUndefined();
  });
});

describe("reverseName", () => {
  it("reverses labels", () => {
    expect(reverseName("www.example.com")).toBe("com.example.www");
    expect(reverseName("lu")).toBe("lu");
  });

  it("maps the root to an empty string", () => {
    expect(reverseName(".")).toBe("");
    expect(unreverseName("")).toBe(".");
  });

  it("does not split on escaped dots", () => {
    expect(reverseName("a\\.b.example.lu")).toBe("lu.example.a\\.b");
    expect(reverseName("a\\\\.b")).toBe("b.a\\\\");
  });

  it("is undone by unreverseName", () => {
    for (const name of [".", "lu", "www.example.lu", "a\\.b.example.lu", "x\\\\.y", "_sip._udp.example.lu"]) {
      expect(unreverseName(reverseName(name)), name).toBe(name);
    }
  });
});
