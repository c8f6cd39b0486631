/** DNSDB raw values: hex ↔ bytes, wire-format names ↔ presentation, raw rdata → address or name. */
import { describe, expect, it } from "vitest";
import { hexBytes, nameWire, rawRdata, wireName } from "../src/dnsdb/raw.js";

const hex = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString("hex") : undefined);

describe("hexBytes", () => {
  it("reads an even number of hex digits in either case", () => {
    expect(hex(hexBytes("C000020b"))).toBe("c000020b");
    for (const bad of ["", "abc", "zz", "c0 00", "0x00"]) expect(hexBytes(bad), bad).toBeUndefined();
  });
});

describe("wire names", () => {
  it("turns wire form into presentation form and back", () => {
    const www = "03777777076578616d706c65026c7500";
    expect(wireName(hexBytes(www) as Uint8Array)).toBe("www.example.lu");
    expect(hex(nameWire("www.example.lu"))).toBe(www);
    expect(hex(nameWire("www.example.lu."))).toBe(www);
    expect(wireName(Uint8Array.of(0))).toBe(".");
    expect(hex(nameWire("."))).toBe("00");
  });

  it("escapes what presentation form must escape, as ldns prints it", () => {
    const bytes = Uint8Array.from([7, 97, 46, 98, 32, 59, 0x5c, 0xc3, 3, 99, 111, 109, 0]);
    const text = wireName(bytes);
    expect(text).toBe("a\\.b\\032\\;\\\\\\195.com");
    expect(hex(nameWire(text as string))).toBe(hex(bytes));
    // Non-ASCII text is encoded as its UTF-8 bytes.
    expect(hex(nameWire("zürich.lu"))).toBe("077ac3bc72696368026c7500");
  });

  it("refuses what is not one uncompressed name filling the bytes", () => {
    const cases: Array<[string, string]> = [
      ["no root label", "03777777"],
      ["compression pointer", "c00c"],
      ["label over 63", `40${"61".repeat(64)}00`],
      ["bytes after the root", "0161000000"],
      ["label past the end", "0561626300"],
    ];
    for (const [what, text] of cases) expect(wireName(hexBytes(text) as Uint8Array), what).toBeUndefined();
    const long = `${`3f${"61".repeat(63)}`.repeat(4)}00`;
    expect(wireName(hexBytes(long) as Uint8Array)).toBeUndefined();
    expect(nameWire("a..b")).toBeUndefined();
    expect(nameWire(`${"a".repeat(64)}.lu`)).toBeUndefined();
    expect(nameWire("bad\\999.lu")).toBeUndefined();
  });
});

describe("rawRdata", () => {
  const name = (s: string) => nameWire(s) as Uint8Array;

  it("reads addresses by type or by size, names by type or by shape", () => {
    expect(rawRdata(Uint8Array.of(192, 0, 2, 11), 1)).toMatchObject({ kind: "address", text: "192.0.2.11" });
    expect(rawRdata(Uint8Array.of(192, 0, 2, 11), undefined)).toMatchObject({
      kind: "address",
      text: "192.0.2.11",
    });
    expect(rawRdata(hexBytes("20010db8001000000000000000000011") as Uint8Array, 28)).toMatchObject({
      kind: "address",
      text: "2001:db8:10::11",
    });
    expect(rawRdata(name("cdn.example.lu"), undefined)).toEqual({ kind: "name", name: "cdn.example.lu" });
    for (const type of [2, 5, 12, 39]) {
      expect(rawRdata(name("cdn.example.lu"), type)).toEqual({ kind: "name", name: "cdn.example.lu" });
    }
    expect(rawRdata(Uint8Array.from([0, 10, ...name("mail.example.lu")]), 15)).toEqual({
      kind: "name",
      name: "mail.example.lu",
    });
    expect(rawRdata(Uint8Array.from([0, 1, 0, 2, 0x13, 0xc4, ...name("sip.example.lu")]), 33)).toEqual({
      kind: "name",
      name: "sip.example.lu",
    });
  });

  it("prefers a name when 4 bytes are one (3 letters + root)", () => {
    expect(rawRdata(hexBytes("02616200") as Uint8Array, undefined)).toEqual({ kind: "name", name: "ab" });
    expect(rawRdata(hexBytes("02616200") as Uint8Array, 1)).toMatchObject({
      kind: "address",
      text: "2.97.98.0",
    });
  });

  it("says why other raw rdata cannot be looked up", () => {
    expect(rawRdata(hexBytes("0b763d73706631202d616c6c") as Uint8Array, undefined).kind).toBe("invalid");
    expect(rawRdata(hexBytes("0b763d73706631202d616c6c") as Uint8Array, 16).kind).toBe("invalid");
    expect(rawRdata(Uint8Array.of(1, 2, 3), 1).kind).toBe("invalid");
    expect(rawRdata(Uint8Array.of(1, 2, 3, 4), 5).kind).toBe("invalid");
    expect(rawRdata(Uint8Array.of(0, 10), 15).kind).toBe("invalid");
  });
});
