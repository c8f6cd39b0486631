import { describe, expect, it } from "vitest";
import { rcodeFromAnswer, rcodeName } from "../src/dns/rcode.js";
import { rrtypeFromText, rrtypeMnemonic, rrtypeToCof } from "../src/dns/rrtype.js";

describe("rrtypeFromText", () => {
  it("knows the IANA mnemonics, old and new", () => {
    const expected: Record<string, number> = {
      A: 1,
      NS: 2,
      CNAME: 5,
      SOA: 6,
      PTR: 12,
      HINFO: 13,
      MX: 15,
      TXT: 16,
      RP: 17,
      "NSAP-PTR": 23,
      AAAA: 28,
      LOC: 29,
      SRV: 33,
      NAPTR: 35,
      DNAME: 39,
      DS: 43,
      SSHFP: 44,
      RRSIG: 46,
      NSEC: 47,
      DNSKEY: 48,
      NSEC3: 50,
      NSEC3PARAM: 51,
      TLSA: 52,
      SMIMEA: 53,
      HIP: 55,
      ZONEMD: 63,
      SVCB: 64,
      HTTPS: 65,
      DSYNC: 66,
      SPF: 99,
      EUI64: 109,
      NXNAME: 128,
      TKEY: 249,
      AXFR: 252,
      ANY: 255,
      URI: 256,
      CAA: 257,
      AVC: 258,
      DOA: 259,
      AMTRELAY: 260,
      RESINFO: 261,
      WALLET: 262,
      CLA: 263,
      IPN: 264,
      TA: 32768,
      DLV: 32769,
    };
    for (const [name, n] of Object.entries(expected)) expect(rrtypeFromText(name), name).toBe(n);
  });

  it("ignores case", () => {
    expect(rrtypeFromText("aaaa")).toBe(28);
    expect(rrtypeFromText("Https")).toBe(65);
    expect(rrtypeFromText("nsap-ptr")).toBe(23);
  });

  it("reads RFC 3597 TYPEnnn and the bare numbers passivedns prints", () => {
    expect(rrtypeFromText("TYPE65")).toBe(65);
    expect(rrtypeFromText("type4242")).toBe(4242);
    expect(rrtypeFromText("65")).toBe(65);
    expect(rrtypeFromText("0")).toBe(0);
    expect(rrtypeFromText("65535")).toBe(65535);
    expect(rrtypeFromText("*")).toBe(255);
  });

  it("refuses unknown names and out-of-range or signed numbers", () => {
    for (const bad of ["FOO", "", "TYPE", "TYPE65536", "65536", "-1", "+1", "1.5", "A ", " A", "TYPE-1"]) {
      expect(rrtypeFromText(bad), bad).toBeUndefined();
    }
  });
});

describe("rrtypeMnemonic and rrtypeToCof", () => {
  it("give the mnemonic of a known number", () => {
    expect(rrtypeMnemonic(1)).toBe("A");
    expect(rrtypeMnemonic(255)).toBe("ANY");
    expect(rrtypeMnemonic(32769)).toBe("DLV");
    expect(rrtypeToCof(28)).toBe("AAAA");
    expect(rrtypeToCof(65)).toBe("HTTPS");
  });

  it("fall back to undefined, and to the number for COF", () => {
    expect(rrtypeMnemonic(54)).toBeUndefined();
    expect(rrtypeMnemonic(65280)).toBeUndefined();
    expect(rrtypeToCof(65280)).toBe(65280);
    expect(rrtypeToCof(0)).toBe(0);
  });

  it("round-trip every mnemonic", () => {
    for (let n = 0; n <= 65535; n++) {
      const name = rrtypeMnemonic(n);
      if (name !== undefined) expect(rrtypeFromText(name), name).toBe(n);
    }
  });
});

describe("rcode", () => {
  it("reads the rcode names passivedns prints in place of an answer", () => {
    expect(rcodeFromAnswer("NXDOMAIN")).toBe(3);
    expect(rcodeFromAnswer("SERVFAIL")).toBe(2);
    expect(rcodeFromAnswer("REFUSED")).toBe(5);
    expect(rcodeFromAnswer("FORMERR")).toBe(1);
    expect(rcodeFromAnswer("NOTIMPL")).toBe(4);
    expect(rcodeFromAnswer("NOTIMP")).toBe(4);
    expect(rcodeFromAnswer("YXDOMAIN")).toBe(6);
    expect(rcodeFromAnswer("NOTZONE")).toBe(10);
    expect(rcodeFromAnswer("BADSIG")).toBe(16);
    expect(rcodeFromAnswer("BADCOOKIE")).toBe(23);
    expect(rcodeFromAnswer("UNKNOWN-ERROR-12")).toBe(12);
  });

  it("takes only the exact uppercase name, never an answer", () => {
    for (const answer of [
      "nxdomain",
      "NXDOMAIN.",
      " NXDOMAIN",
      "192.0.2.1",
      "www.example.lu.",
      '"NXDOMAIN"',
    ]) {
      expect(rcodeFromAnswer(answer), answer).toBeUndefined();
    }
    expect(rcodeFromAnswer("UNKNOWN-ERROR-")).toBeUndefined();
    expect(rcodeFromAnswer("UNKNOWN-ERROR-4096")).toBeUndefined();
  });

  it("names rcodes", () => {
    expect(rcodeName(0)).toBe("NOERROR");
    expect(rcodeName(3)).toBe("NXDOMAIN");
    expect(rcodeName(4)).toBe("NOTIMP");
    expect(rcodeName(16)).toBe("BADVERS");
    expect(rcodeName(99)).toBe("RCODE99");
  });
});
