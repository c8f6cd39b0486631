/**
 * The web pages' search box: what classify() makes of every kind of value an analyst pastes, which
 * decides the page shown (ui/src/lib/classify.ts, pure, run here in Node).
 */
import { describe, expect, it } from "vitest";
import { classify, isIPv6 } from "../ui/src/lib/classify.js";

const SHA1 = "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8";
const SHA256 = "948af3f2b32c42187a0c6de78a352e6d6ec9f26a4b34cec79efec5eed145bcc6";
const MD5 = "871a754af286dfb70c1b53c6887c62e0";

describe("classify", () => {
  it("takes names, lowercased, without the trailing dot", () => {
    expect(classify("www.example.lu")).toEqual({ kind: "name", value: "www.example.lu" });
    expect(classify("  WWW.Example.LU.  ")).toEqual({ kind: "name", value: "www.example.lu" });
    expect(classify("localhost")).toEqual({ kind: "name", value: "localhost" });
    expect(classify("xn--zrich-kva.example.lu")).toEqual({ kind: "name", value: "xn--zrich-kva.example.lu" });
    expect(classify("_xmpp-client._tcp.example.lu")).toEqual({
      kind: "name",
      value: "_xmpp-client._tcp.example.lu",
    });
    expect(classify("11.1.0.127.in-addr.arpa")).toEqual({ kind: "name", value: "11.1.0.127.in-addr.arpa" });
  });

  it("takes left and right wildcards", () => {
    expect(classify("*.example.lu")).toEqual({ kind: "wildcard", value: "*.example.lu" });
    expect(classify("*.Example.LU.")).toEqual({ kind: "wildcard", value: "*.example.lu" });
    expect(classify("www.example.*")).toEqual({ kind: "wildcard", value: "www.example.*" });
    expect(classify("*.").kind).toBe("invalid");
    expect(classify("*example.lu").kind).toBe("invalid");
    expect(classify("www.*.lu").kind).toBe("invalid");
  });

  it("takes IPv4 and IPv6 addresses in any valid spelling", () => {
    expect(classify("192.0.2.1")).toEqual({ kind: "ip", value: "192.0.2.1" });
    expect(classify("0.0.0.0")).toEqual({ kind: "ip", value: "0.0.0.0" });
    expect(classify("::1")).toEqual({ kind: "ip", value: "::1" });
    expect(classify("2001:DB8::1")).toEqual({ kind: "ip", value: "2001:db8::1" });
    expect(classify("0:0:0:0:0:0:0:1")).toEqual({ kind: "ip", value: "0:0:0:0:0:0:0:1" });
    expect(classify("::ffff:192.0.2.1")).toEqual({ kind: "ip", value: "::ffff:192.0.2.1" });
    // 32 hex digits with colons: an address, not an MD5.
    expect(classify("2001:0db8:0000:0000:0000:0000:0000:0001").kind).toBe("ip");
    expect(isIPv6("1::2::3")).toBe(false);
    expect(isIPv6("1:2:3:4:5:6:7:8:9")).toBe(false);
    expect(classify("256.0.0.1").kind).not.toBe("ip");
    expect(classify("192.0.2.01").kind).not.toBe("ip");
  });

  it("takes CIDR blocks and address ranges", () => {
    expect(classify("192.0.2.0/24")).toEqual({ kind: "block", value: "192.0.2.0/24" });
    expect(classify("2001:DB8::/48")).toEqual({ kind: "block", value: "2001:db8::/48" });
    expect(classify("192.0.2.10-192.0.2.99")).toEqual({ kind: "block", value: "192.0.2.10-192.0.2.99" });
    expect(classify("2001:db8::1-2001:db8::ff")).toEqual({
      kind: "block",
      value: "2001:db8::1-2001:db8::ff",
    });
    expect(classify("192.0.2.0/33").kind).toBe("invalid");
    expect(classify("2001:db8::/129").kind).toBe("invalid");
    expect(classify("192.0.2.1-2001:db8::1").kind).toBe("invalid");
  });

  it("takes SHA-1 and SHA-256 fingerprints, with or without colons, in any case", () => {
    expect(classify(SHA1)).toEqual({ kind: "sha1", value: SHA1 });
    expect(classify(SHA1.toUpperCase())).toEqual({ kind: "sha1", value: SHA1 });
    const colons = (hex: string) => (hex.match(/../g) ?? []).join(":");
    expect(colons(SHA1)).toBe("99:44:a6:65:e9:a9:70:1a:9e:0e:62:46:bb:49:bb:d1:82:b1:d9:c8");
    expect(classify(colons(SHA1))).toEqual({ kind: "sha1", value: SHA1 });
    expect(classify(colons(SHA1).toUpperCase())).toEqual({ kind: "sha1", value: SHA1 });
    expect(classify(SHA256)).toEqual({ kind: "sha256", value: SHA256 });
    expect(classify(colons(SHA256))).toEqual({ kind: "sha256", value: SHA256 });
    // 41 hex digits are no fingerprint: a one-label name, as DNS allows.
    expect(classify(`${SHA1}0`).kind).toBe("name");
    expect(classify(`${SHA1.slice(0, 38)}:zz`).kind).toBe("invalid");
  });

  it("takes an MD5 as a JA3 or JA3S digest, and ja3: / ja3s: to say which", () => {
    expect(classify(MD5)).toEqual({ kind: "md5", value: MD5 });
    expect(classify(MD5.toUpperCase())).toEqual({ kind: "md5", value: MD5 });
    expect(classify(`ja3:${MD5}`)).toEqual({ kind: "ja3", value: MD5 });
    expect(classify(`JA3S:${MD5.toUpperCase()}`)).toEqual({ kind: "ja3s", value: MD5 });
    expect(classify(`ja3:${MD5}0`).kind).toBe("invalid");
  });

  it("refuses anything else, with a reason", () => {
    for (const input of [
      "",
      "   ",
      "foo..bar",
      "-bad.example",
      "bad-.example",
      "a b",
      "http://example.lu/",
      "😀.lu",
    ]) {
      const result = classify(input);
      expect(result.kind, input).toBe("invalid");
      if (result.kind === "invalid") expect(result.reason.length).toBeGreaterThan(10);
    }
    expect(classify(`${"a".repeat(64)}.lu`).kind).toBe("invalid");
  });
});
