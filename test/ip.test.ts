import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { ipFromBytes, isIp, parseIp } from "../src/dns/ip.js";

describe("parseIp IPv4", () => {
  it("accepts strict dotted quads as they are", () => {
    const ip = parseIp("192.0.2.1");
    expect(ip?.version).toBe(4);
    expect(ip?.text).toBe("192.0.2.1");
    expect([...(ip?.bytes ?? [])]).toEqual([192, 0, 2, 1]);
    expect(parseIp("0.0.0.0")?.text).toBe("0.0.0.0");
    expect([...(parseIp("255.255.255.255")?.bytes ?? [])]).toEqual([255, 255, 255, 255]);
  });

  it("refuses what only lax parsers call an address", () => {
    const bad = ["42", "127.0", "1.2.3", "01.2.3.4", "1.2.3.010", "256.1.1.1", "999.1.1.1", "1.2.3.4.5"];
    bad.push("1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.a", "", "0x7f.0.0.1", "1.2.3.-4");
    for (const s of bad) {
      expect(parseIp(s), s).toBeUndefined();
      expect(isIp(s), s).toBe(false);
    }
  });
});

describe("parseIp IPv6", () => {
  const canonical: Array<[string, string]> = [
    // RFC 5952 §4 examples and rules
    ["2001:0db8::0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:db8::1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000::1", "2001:db8::1"],
    ["2001:DB8::AbCd", "2001:db8::abcd"],
    ["2001:db8:0:0:0::1", "2001:db8::1"],
    ["2001:db8:0000:0:1::1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::", "::"],
    ["::1", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1::", "1::"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["2a02:0250::53", "2a02:250::53"],
    ["fe80::1", "fe80::1"],
    // IPv4-mapped addresses print the quad, whatever the input spelling
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["::ffff:c000:201", "::ffff:192.0.2.1"],
    ["0:0:0:0:0:FFFF:192.0.2.1", "::ffff:192.0.2.1"],
    // other embedded quads are plain IPv6
    ["::192.0.2.1", "::c000:201"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
  ];
  for (const [input, text] of canonical) {
    it(`${input} → ${text}`, () => {
      const ip = parseIp(input);
      expect(ip?.version).toBe(6);
      expect(ip?.text).toBe(text);
      expect(ip?.bytes.length).toBe(16);
      expect(parseIp(text)?.text).toBe(text);
    });
  }

  it("gives the bytes in network order", () => {
    expect([...(parseIp("2001:db8::1")?.bytes ?? [])]).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
  });

  it("refuses zone ids, brackets, spaces and malformed text", () => {
    const bad = [
      "fe80::1%eth0",
      "[::1]",
      " ::1",
      "::1 ",
      "1::2::3",
      ":::",
      ":1::",
      "1::2:",
      "1:2:3:4:5:6:7:8:9",
    ];
    bad.push("1:2:3:4:5:6:7", "12345::", "g::1", "::ffff:1.2.3", "::ffff:01.2.3.4", "1:2:3:4:5:6:7:1.2.3.4");
    bad.push(
      "1:2:3:4:5:6:7:8::",
      "::1.2.3.4:5",
      ":",
      "::ffff:256.1.1.1",
      "2001:db8::1/64",
      "1:2:3:4:5:6:7::8",
    );
    for (const s of bad) {
      expect(parseIp(s), s).toBeUndefined();
      expect(isIp(s), s).toBe(false);
    }
  });

  it("agrees with node:net on which strings are addresses", () => {
    const samples = [
      "::",
      "::1",
      "1::",
      "::ffff:1.2.3.4",
      "a:b:c:d:e:f:a:b",
      "1:2::3:4",
      "::1.2.3.4",
      "1:2:3::4:5:6:7",
    ];
    samples.push("1.2.3.4", "10.0.0.1", "1:2:3:4:5:6:7:8:9", "1::2::3", "::12345", "1.2.3", "zz::");
    for (const s of samples) expect(isIp(s), s).toBe(isIP(s) !== 0);
  });
});

describe("ipFromBytes", () => {
  it("gives canonical text for 4 and 16 bytes", () => {
    expect(ipFromBytes(Uint8Array.of(10, 0, 0, 1))).toBe("10.0.0.1");
    const v6 = parseIp("2001:0db8:0:0:1:0:0:1");
    expect(ipFromBytes(v6?.bytes ?? new Uint8Array(16))).toBe("2001:db8::1:0:0:1");
    expect(ipFromBytes(new Uint8Array(16))).toBe("::");
    expect(ipFromBytes(parseIp("::ffff:c000:201")?.bytes ?? new Uint8Array(16))).toBe("::ffff:192.0.2.1");
  });

  it("round-trips parseIp", () => {
    for (const s of ["192.0.2.1", "2001:db8::1", "::1", "fe80::1:2", "::ffff:10.1.2.3", "1:2:3:4:5:6:7:8"]) {
      const ip = parseIp(s);
      expect(ip, s).toBeDefined();
      if (ip !== undefined) expect(ipFromBytes(ip.bytes)).toBe(ip.text);
    }
  });

  it("refuses other lengths", () => {
    expect(() => ipFromBytes(new Uint8Array(5))).toThrow(RangeError);
  });
});
