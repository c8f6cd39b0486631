import { describe, expect, it } from "vitest";
import { normalizeRdata, rdataIndexKey } from "../src/dns/rdata.js";
import { rrtypeFromText } from "../src/dns/rrtype.js";

function type(name: string): number {
  const n = rrtypeFromText(name);
  if (n === undefined) throw new Error(`no rrtype ${name}`);
  return n;
}

describe("normalizeRdata", () => {
  it("gives canonical addresses for A and AAAA only", () => {
    expect(normalizeRdata(type("A"), "192.0.2.10")).toBe("192.0.2.10");
    expect(normalizeRdata(type("A"), " 192.0.2.10 ")).toBe("192.0.2.10");
    expect(normalizeRdata(type("A"), "2001:db8::1")).toBeUndefined();
    expect(normalizeRdata(type("A"), "127.0")).toBeUndefined();
    expect(normalizeRdata(type("A"), "example.lu.")).toBeUndefined();
    expect(normalizeRdata(type("AAAA"), "2001:0DB8:0010:0000:0000:0000:0000:0010")).toBe("2001:db8:10::10");
    expect(normalizeRdata(type("AAAA"), "::ffff:c000:201")).toBe("::ffff:192.0.2.1");
    expect(normalizeRdata(type("AAAA"), "192.0.2.1")).toBeUndefined();
  });

  it("normalises the names of CNAME, NS, PTR and DNAME", () => {
    for (const t of ["CNAME", "NS", "PTR", "DNAME"]) {
      expect(normalizeRdata(type(t), "WWW.Example.LU."), t).toBe("www.example.lu");
      expect(normalizeRdata(type(t), "a..b."), t).toBeUndefined();
      expect(normalizeRdata(type(t), "two names."), t).toBeUndefined();
    }
  });

  it("accepts MX and SRV abridged by passivedns or in full", () => {
    expect(normalizeRdata(type("MX"), "Mail.Example.LU.")).toBe("mail.example.lu");
    expect(normalizeRdata(type("MX"), "010 Mail.Example.LU.")).toBe("10 mail.example.lu");
    expect(normalizeRdata(type("MX"), "0 .")).toBe("0 .");
    expect(normalizeRdata(type("MX"), "x mail.example.lu.")).toBeUndefined();
    expect(normalizeRdata(type("MX"), "65536 mail.example.lu.")).toBeUndefined();
    expect(normalizeRdata(type("SRV"), "SIP.example.lu.")).toBe("sip.example.lu");
    expect(normalizeRdata(type("SRV"), "10 60 5060 SIP.example.lu.")).toBe("10 60 5060 sip.example.lu");
    expect(normalizeRdata(type("SRV"), "10 60 SIP.example.lu.")).toBeUndefined();
    expect(normalizeRdata(type("SRV"), "10 60 99999 sip.example.lu.")).toBeUndefined();
  });

  it("normalises the name fields of SOA, RP and NSEC and keeps the others", () => {
    expect(normalizeRdata(type("SOA"), "NS1.Example.LU.")).toBe("ns1.example.lu");
    expect(
      normalizeRdata(type("SOA"), "NS1.Example.LU. Hostmaster.Example.LU. 2026112601 3600 600 86400 300"),
    ).toBe("ns1.example.lu hostmaster.example.lu 2026112601 3600 600 86400 300");
    expect(normalizeRdata(type("RP"), "Hostmaster.Example.LU.")).toBe("hostmaster.example.lu");
    expect(normalizeRdata(type("RP"), "hostmaster.example.lu. Info.Example.LU.")).toBe(
      "hostmaster.example.lu info.example.lu",
    );
    expect(normalizeRdata(type("RP"), "a. b. c.")).toBeUndefined();
    expect(normalizeRdata(type("NSEC"), "Host.Example.LU. A AAAA RRSIG NSEC")).toBe(
      "host.example.lu A AAAA RRSIG NSEC",
    );
  });

  it("strips one pair of TXT quotes and keeps every escape and the case", () => {
    expect(normalizeRdata(type("TXT"), '"He said \\"hello D4\\" and left"')).toBe(
      'He said \\"hello D4\\" and left',
    );
    expect(normalizeRdata(type("TXT"), '"v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"')).toBe(
      "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
    );
    expect(normalizeRdata(type("TXT"), '"back\\\\slash \\195\\188"')).toBe("back\\\\slash \\195\\188");
    expect(normalizeRdata(type("TXT"), '""')).toBe("");
    expect(normalizeRdata(type("TXT"), "unquoted")).toBe("unquoted");
    expect(normalizeRdata(type("TXT"), '"')).toBe('"');
    expect(normalizeRdata(type("TXT"), '"a||b"')).toBe("a||b");
    // A closing quote that is escaped does not close anything.
    expect(normalizeRdata(type("TXT"), '"open \\"')).toBe('"open \\"');
    expect(normalizeRdata(type("SPF"), '"v=spf1 MX -all"')).toBe("v=spf1 MX -all");
  });

  it("keeps other types exactly, only trimmed", () => {
    const dnskey =
      "257 3 13 d/Oca41BLLUFx1PZ8+wgSPkIcLQn1HQmnEVRNFdn76L6AB+Qz07XkosaDWceU82lI7D5hCZLc+qDpG9qykXItw==";
    expect(normalizeRdata(type("DNSKEY"), dnskey)).toBe(dnskey);
    expect(normalizeRdata(type("HINFO"), ' "INTEL-X86_64" "Debian GNU/Linux 12" ')).toBe(
      '"INTEL-X86_64" "Debian GNU/Linux 12"',
    );
    expect(normalizeRdata(type("NAPTR"), '100 10 "S" "SIP+D2U" "" _sip._udp.Example.LU.')).toBe(
      '100 10 "S" "SIP+D2U" "" _sip._udp.Example.LU.',
    );
    expect(normalizeRdata(4242, "\\# 4 0A000001")).toBe("\\# 4 0A000001");
  });

  it("refuses an empty answer for every type", () => {
    for (const t of [1, 5, 15, 16, 33, 48, 4242]) {
      expect(normalizeRdata(t, ""), String(t)).toBeUndefined();
      expect(normalizeRdata(t, "   "), String(t)).toBeUndefined();
    }
  });
});

describe("rdataIndexKey", () => {
  it("indexes addresses of A and AAAA", () => {
    expect(rdataIndexKey(type("A"), "192.0.2.10")).toMatchObject({
      kind: "ip",
      ip: { version: 4, text: "192.0.2.10" },
    });
    expect(rdataIndexKey(type("AAAA"), "2001:db8::1")).toMatchObject({ kind: "ip", ip: { version: 6 } });
    expect(rdataIndexKey(type("A"), "2001:db8::1")).toBeUndefined();
  });

  it("indexes the target name of name-valued types", () => {
    for (const t of ["CNAME", "NS", "PTR", "DNAME"]) {
      expect(rdataIndexKey(type(t), "www.example.lu"), t).toEqual({ kind: "name", name: "www.example.lu" });
    }
    expect(rdataIndexKey(type("MX"), "mail.example.lu")).toEqual({ kind: "name", name: "mail.example.lu" });
    expect(rdataIndexKey(type("MX"), "10 mail.example.lu")).toEqual({
      kind: "name",
      name: "mail.example.lu",
    });
    expect(rdataIndexKey(type("SRV"), "10 60 5060 sip.example.lu")).toEqual({
      kind: "name",
      name: "sip.example.lu",
    });
    expect(rdataIndexKey(type("SRV"), "sip.example.lu")).toEqual({ kind: "name", name: "sip.example.lu" });
  });

  it("indexes nothing for other types or a root target", () => {
    for (const t of ["TXT", "SOA", "RP", "NSEC", "HINFO", "DNSKEY", "NAPTR"]) {
      expect(rdataIndexKey(type(t), "www.example.lu"), t).toBeUndefined();
    }
    expect(rdataIndexKey(type("MX"), "0 .")).toBeUndefined();
    expect(rdataIndexKey(type("CNAME"), ".")).toBeUndefined();
  });
});
