/**
 * Properties of what users ask about: IP addresses (any spelling parses to its bytes, the canonical
 * text re-parses to itself), CIDR blocks and ranges, names (normalisation is idempotent and changes
 * nothing but ASCII case and one trailing dot), wildcards, DNSDB paths and parameters, and cursors
 * (sort-key cursors and lookup cursors round-trip; anything else is refused, never misread).
 */
import { describe, expect, it } from "vitest";
import { addressesOf, cidrSize, parseCidr } from "../../src/dns/cidr.js";
import { ipFromBytes, isIp, parseIp } from "../../src/dns/ip.js";
import { normalizeName, reverseName, unreverseName } from "../../src/dns/name.js";
import { DnsdbError } from "../../src/dnsdb/errors.js";
import { parseAddressBlock } from "../../src/dnsdb/ip-block.js";
import { nameTarget, pathSegments } from "../../src/dnsdb/path.js";
import { nameWire, wireName } from "../../src/dnsdb/raw.js";
import { parseDnsdbRequest } from "../../src/dnsdb/request.js";
import { LookupError, lookupCursor, parseLookupCursor } from "../../src/pdns/lookup.js";
import type { LookupTarget } from "../../src/pdns/lookup-types.js";
import { addressSpan, parseLookupValue, spanPrefixLength } from "../../src/pdns/lookup-value.js";
import { parseQueryValue } from "../../src/pdns/query-value.js";
import { cursorOf, SORT_KEY_BYTES, sortKeyOf, sortKeyOfCursor } from "../../src/pdns/record-codec.js";
import {
  fc,
  hasLoneSurrogate,
  injectionPiece,
  ipSample,
  ipv4Sample,
  ipv6Sample,
  lowerAscii,
  nastyName,
  runs,
  timed,
  timeout,
  utf16Unit,
  withoutTrailingDot,
} from "./fuzz.js";
import { expectStoredName } from "./invariants.js";

/** Text that looks like addresses, blocks, ranges, names and wildcards, or like nothing at all. */
const queryText = fc.oneof(
  ipSample.map((ip) => ip.text),
  fc
    .tuple(ipSample, fc.constantFrom("/", ","), fc.integer({ min: -1, max: 140 }))
    .map(([ip, sep, n]) => `${ip.text}${sep}${n}`),
  fc.tuple(ipSample, ipSample).map(([a, b]) => `${a.text}-${b.text}`),
  fc.stringMatching(/^[0-9a-fA-F:.]{0,50}([/,-][0-9a-fA-F:.]{0,50})?$/),
  nastyName,
  nastyName.map((n) => `*.${n}`),
  nastyName.map((n) => `${n}.*`),
  fc.string({ unit: utf16Unit, maxLength: 60 }),
  fc.array(injectionPiece, { maxLength: 10 }).map((p) => p.join("")),
);

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("IP addresses: properties", () => {
  it(
    "parses any IPv4 or IPv6 spelling to its bytes, and the canonical text re-parses to itself",
    () => {
      fc.assert(
        fc.property(ipSample, (sample) => {
          const ip = timed("parseIp", () => parseIp(sample.text));
          expect(ip, sample.text).toBeDefined();
          if (!ip) return;
          expect(sameBytes(ip.bytes, sample.bytes)).toBe(true);
          expect(ip.version).toBe(sample.bytes.length === 4 ? 4 : 6);
          expect(ipFromBytes(ip.bytes)).toBe(ip.text);
          const again = parseIp(ip.text);
          expect(again?.text).toBe(ip.text);
          expect(sameBytes(again?.bytes ?? new Uint8Array(), ip.bytes)).toBe(true);
          // RFC 5952: lowercase, no leading zeros, no single-group `::`.
          expect(ip.text).toBe(ip.text.toLowerCase());
          expect(ip.text).not.toMatch(/(^|:)0[0-9a-f]/);
          expect(isIp(sample.text)).toBe(true);
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "round-trips any 4 or 16 bytes through their text",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ minLength: 4, maxLength: 4 }),
            fc.uint8Array({ minLength: 16, maxLength: 16 }),
          ),
          (bytes) => {
            const text = ipFromBytes(bytes);
            expect(sameBytes(parseIp(text)?.bytes ?? new Uint8Array(), bytes)).toBe(true);
            expect(parseIp(text)?.text).toBe(text);
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "never throws on any text, agrees with isIp, and refuses what is not strictly an address",
    () => {
      const near = fc.oneof(
        queryText,
        ipv4Sample.map((ip) => ip.text.replace(/^(\d)/, "0$1")),
        ipv4Sample.map((ip) => ip.text.split(".").slice(0, 3).join(".")),
        ipv6Sample.map((ip) => `${ip.text}%eth0`),
        ipv6Sample.map((ip) => `[${ip.text}]`),
        ipv6Sample.map((ip) => ` ${ip.text}`),
        ipv6Sample.map((ip) => `${ip.text}:`),
        ipv6Sample.map((ip) => ip.text.replace("::", ":::")),
        fc.constantFrom(
          "42",
          "127.0",
          "1.2.3.4.5",
          "256.1.1.1",
          "1:2:3:4:5:6:7:8:9",
          "::1::",
          "1.2.3.04",
          "::ffff:1.2.3",
          "12345::",
          "",
        ),
      );
      fc.assert(
        fc.property(near, (text) => {
          const ip = timed("parseIp", () => parseIp(text));
          expect(isIp(text)).toBe(ip !== undefined);
          if (!ip) return;
          expect(ip.bytes.length).toBe(ip.version === 4 ? 4 : 16);
          expect(parseIp(ip.text)?.text).toBe(ip.text);
          // Only the characters of an address, and an IPv4 text is kept as it is (it is canonical).
          expect(text).toMatch(/^[0-9a-fA-F:.]+$/);
          if (ip.version === 4) expect(ip.text).toBe(text);
        }),
        runs(10),
      );
    },
    timeout(10),
  );
});

describe("CIDR blocks and ranges: properties", () => {
  it(
    "a block's network has no host bits, covers the address, and re-parses to itself",
    () => {
      fc.assert(
        fc.property(ipSample, fc.integer({ min: 0, max: 128 }), (sample, n) => {
          const bits = sample.bytes.length * 8;
          const prefix = n % (bits + 1);
          const cidr = parseCidr(`${sample.text}/${prefix}`);
          expect(cidr).toBeDefined();
          if (!cidr) return;
          expect(cidr.prefixLength).toBe(prefix);
          const network = BigInt(`0x${Buffer.from(cidr.network).toString("hex")}`);
          const address = BigInt(`0x${Buffer.from(sample.bytes).toString("hex")}`);
          const hostBits = BigInt(bits - prefix);
          expect(network % (1n << hostBits)).toBe(0n);
          expect(address >> hostBits).toBe(network >> hostBits);
          expect(cidrSize(cidr)).toBe(1n << hostBits);
          expect(parseCidr(`${ipFromBytes(cidr.network)}/${prefix}`)).toEqual(cidr);
          if (hostBits <= 4n) {
            const all = addressesOf(cidr);
            expect(all).toHaveLength(Number(cidrSize(cidr)));
            expect(all[0]).toBe(ipFromBytes(cidr.network));
          }
          const span = addressSpan(`${sample.text},${prefix}`);
          expect(span && sameBytes(span.first, cidr.network)).toBe(true);
          if (span) expect(spanPrefixLength(span.first, span.last)).toBe(prefix);
        }),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "never throws on any text; every block or range it accepts is ordered and of one family",
    () => {
      fc.assert(
        fc.property(queryText, (text) => {
          const cidr = timed("parseCidr", () => parseCidr(text));
          if (cidr) expect(cidr.prefixLength).toBeLessThanOrEqual(cidr.network.length * 8);
          const span = timed("addressSpan", () => addressSpan(text));
          if (span) {
            expect(span.first.length).toBe(span.last.length);
            expect(Buffer.compare(Buffer.from(span.first), Buffer.from(span.last))).toBeLessThanOrEqual(0);
          }
          const block = timed("parseAddressBlock", () => parseAddressBlock(text));
          if (block.ok) {
            expect(block.block.first.length).toBe(block.block.version === 4 ? 4 : 16);
            expect(
              Buffer.compare(Buffer.from(block.block.first), Buffer.from(block.block.last)),
            ).toBeLessThanOrEqual(0);
          } else {
            expect(block.reason.length).toBeGreaterThan(0);
          }
        }),
        runs(10),
      );
    },
    timeout(10),
  );
});

describe("names: properties", () => {
  it(
    "normalisation is idempotent, changes only ASCII case and one trailing dot, and yields a valid wire name",
    () => {
      fc.assert(
        fc.property(fc.oneof(nastyName, fc.domain(), fc.mixedCase(fc.domain())), (text) => {
          const name = timed("normalizeName", () => normalizeName(text));
          if (name === undefined) return;
          expect(name).toBe(lowerAscii(withoutTrailingDot(text)));
          expect(normalizeName(name)).toBe(name);
          expectStoredName(name);
          expect(unreverseName(reverseName(name))).toBe(name);
          // The wire form reads back to the same labels.
          const wire = nameWire(name);
          expect(wire).toBeDefined();
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "refuses control characters, spaces, lone surrogates, empty labels, labels over 63 and names over 255 octets",
    () => {
      fc.assert(
        fc.property(fc.string({ unit: utf16Unit, maxLength: 300 }), (text) => {
          const name = normalizeName(text);
          if (name === undefined) return;
          expect(hasLoneSurrogate(name)).toBe(false);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: none of these may pass.
          expect(name).not.toMatch(/[\u0000-\u0020\u007f]/);
          expect(nameWire(name)).toBeDefined();
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "a wire name reads to presentation text whose wire form is the same bytes",
    () => {
      const label = fc.uint8Array({ minLength: 1, maxLength: 63 });
      fc.assert(
        fc.property(fc.array(label, { maxLength: 6 }), (labels) => {
          const wire = Buffer.concat([
            ...labels.flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]),
            Buffer.from([0]),
          ]);
          const text = wireName(wire);
          if (wire.length > 255) {
            expect(text).toBeUndefined();
            return;
          }
          expect(text).toBeDefined();
          expect(Buffer.from(nameWire(text ?? "") ?? []).equals(wire)).toBe(true);
          // Its normalised form is the same name (only ASCII case may change).
          const name = normalizeName(text ?? "");
          expect(name).toBeDefined();
          expect(
            Buffer.from(nameWire(name ?? "") ?? [])
              .toString("latin1")
              .toLowerCase(),
          ).toBe(wire.toString("latin1").toLowerCase());
        }),
        runs(5),
      );
    },
    timeout(5),
  );
});

describe("query values and wildcards: properties", () => {
  it(
    "every query value is an address, a valid name, a wildcard over a valid name without `*`, or refused",
    () => {
      fc.assert(
        fc.property(queryText, (text) => {
          const value = timed("parseQueryValue", () => parseQueryValue(text));
          if (value?.kind === "ip") expect(parseIp(text)).toEqual(value.ip);
          if (value?.kind === "name") expect(value.name).toBe(normalizeName(text));
          const lookup = timed("parseLookupValue", () => parseLookupValue(text));
          if (lookup?.kind === "many") {
            const target = lookup.target;
            if (target.kind === "owner-under" || target.kind === "owner-prefix") {
              const name = target.kind === "owner-under" ? target.domain : target.labels;
              expectStoredName(name);
              expect(name).not.toContain("*");
              expect(name).not.toBe(".");
            } else if (target.kind === "rdata-ip") {
              expect(target.first.length).toBe(target.last.length);
            } else {
              throw new Error(`unexpected target ${target.kind}`);
            }
          } else if (lookup?.kind === "exact") {
            expect(lookup.value).toEqual(parseQueryValue(text));
          }
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "DNSDB name segments: a target over a valid name, or a 400 with a message",
    () => {
      fc.assert(
        fc.property(
          queryText,
          fc.constantFrom("owner", "rdata") as fc.Arbitrary<"owner" | "rdata">,
          (text, side) => {
            let target: LookupTarget;
            try {
              target = timed("nameTarget", () => nameTarget(text, side));
            } catch (error) {
              expect(error).toBeInstanceOf(DnsdbError);
              expect((error as DnsdbError).status).toBe(400);
              expect((error as DnsdbError).message.length).toBeGreaterThan(0);
              return;
            }
            const name =
              "name" in target
                ? target.name
                : "domain" in target
                  ? target.domain
                  : "labels" in target
                    ? target.labels
                    : undefined;
            expect(name).toBeDefined();
            expectStoredName(name ?? "");
            if (target.kind !== "owner" && target.kind !== "rdata-name") expect(name).not.toContain("*");
          },
        ),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "DNSDB requests: any path segments and parameters give a request or a DnsdbError (400, 404, 416), nothing else",
    () => {
      const segment = fc.oneof(
        queryText,
        fc.constantFrom(
          "rrset",
          "rdata",
          "name",
          "raw",
          "ip",
          "A",
          "ANY",
          "ANY-DNSSEC",
          "TYPE65535",
          "",
          "a.b",
        ),
      );
      const segments = fc.oneof(
        fc
          .tuple(
            fc.constantFrom("rrset", "rdata"),
            fc.constantFrom("name", "raw", "ip"),
            fc.array(segment, { maxLength: 3 }),
          )
          .map(([a, b, rest]) => [a, b, ...rest]),
        fc.array(segment, { maxLength: 6 }),
      );
      const paramValue = fc.oneof(
        fc.string({ unit: utf16Unit, maxLength: 20 }),
        fc.integer().map(String),
        fc.constantFrom("0", "-1", "t", "false", "99999999999999999", "1e3", ""),
      );
      const params = fc.array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              "limit",
              "offset",
              "time_first_before",
              "time_last_after",
              "aggr",
              "humantime",
              "max_count",
              "cursor",
              "swclient",
            ),
            fc.string({ maxLength: 8 }),
          ),
          paramValue,
        ),
        { maxLength: 4 },
      );
      fc.assert(
        fc.property(
          segments,
          params,
          fc.constantFrom("lookup", "summarize") as fc.Arbitrary<"lookup" | "summarize">,
          (path, pairs, verb) => {
            const context = {
              verb,
              now: 1_700_000_000,
              callerMax: 1000,
              offsetMax: 5000,
              ipLimit: { ipv4: 16, ipv6: 48 },
            };
            try {
              const request = timed("parseDnsdbRequest", () =>
                parseDnsdbRequest(path, new URLSearchParams(pairs), context),
              );
              expect(request.options.limit).toBeGreaterThanOrEqual(1);
              expect(request.options.limit).toBeLessThanOrEqual(1000);
              expect(request.options.offset).toBeLessThanOrEqual(5000);
            } catch (error) {
              expect(error).toBeInstanceOf(DnsdbError);
              expect([400, 404, 416]).toContain((error as DnsdbError).status);
              expect((error as DnsdbError).message.length).toBeGreaterThan(0);
            }
          },
        ),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "DNSDB URLs: path segments are the percent-decoded pieces between slashes, or a 400",
    () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(queryText, fc.string({ maxLength: 10 })), { maxLength: 5 }),
          fc.string({ maxLength: 10 }),
          (values, junk) => {
            const encoded = values.map((v) => (hasLoneSurrogate(v) ? v : encodeURIComponent(v)));
            const url = `http://h/dnsdb/v2/lookup/${encoded.join("/")}?${junk}`;
            let segments: string[] | undefined;
            try {
              segments = timed("pathSegments", () => pathSegments(url, "/dnsdb/v2/lookup/"));
            } catch (error) {
              expect(error).toBeInstanceOf(DnsdbError);
              return;
            }
            expect(segments).toBeDefined();
            if (values.every((v) => !hasLoneSurrogate(v))) {
              // One trailing `/` is ignored: a last empty segment goes, and a lone empty one leaves none.
              const want = values.at(-1) === "" ? values.slice(0, -1) : values;
              expect(segments).toEqual(want.length === 1 && want[0] === "" ? [] : want);
            }
            // And any raw text after the prefix never throws anything but a DnsdbError.
            try {
              pathSegments(`http://h/dnsdb/v2/lookup/${values.join("/")}%${junk}`, "/dnsdb/v2/lookup/");
            } catch (error) {
              expect(error).toBeInstanceOf(DnsdbError);
            }
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );
});

describe("cursors: properties", () => {
  const sortKey = fc
    .uint8Array({ minLength: SORT_KEY_BYTES, maxLength: SORT_KEY_BYTES })
    .map((b) => Buffer.from(b));

  it(
    "a sort-key cursor reads back to its key, and every cursor that reads back is the one printed for its key",
    () => {
      fc.assert(
        fc.property(
          sortKey,
          fc.oneof(
            fc.stringMatching(/^[0-9]{0,30}$/),
            fc.string({ unit: utf16Unit, maxLength: 30 }),
            fc.bigInt({ min: -1n, max: 1n << 81n }).map(String),
          ),
          (key, text) => {
            const cursor = cursorOf(key);
            expect(cursor).toMatch(/^(0|[1-9][0-9]*)$/);
            if (key.some((b) => b !== 0)) expect(sortKeyOfCursor(cursor)?.equals(key)).toBe(true);
            else expect(sortKeyOfCursor(cursor)).toBeUndefined();
            const read = timed("sortKeyOfCursor", () => sortKeyOfCursor(text));
            if (read !== undefined) {
              expect(read).toHaveLength(SORT_KEY_BYTES);
              expect(cursorOf(read)).toBe(text);
            }
          },
        ),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "a record's sort key starts with its rrtype and never prints as cursor 0",
    () => {
      fc.assert(
        fc.property(
          nastyName,
          fc.integer({ min: 0, max: 0xffff }),
          fc.string({ unit: utf16Unit, maxLength: 40 }),
          (name, rrtype, rdata) => {
            const key = sortKeyOf(name, rrtype, rdata);
            expect(key).toHaveLength(SORT_KEY_BYTES);
            expect(key.readUInt16BE(0)).toBe(rrtype);
            expect(cursorOf(key)).not.toBe("0");
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "a lookup cursor resumes at its record for its target, and anything else is a LookupError",
    () => {
      const target: fc.Arbitrary<LookupTarget> = fc.oneof(
        fc.constant({ kind: "owner", name: "example.com" } as LookupTarget),
        fc.constant({ kind: "owner-under", domain: "example.com" } as LookupTarget),
        fc.constant({ kind: "rdata-name-prefix", labels: "www" } as LookupTarget),
        fc.tuple(ipv4Sample, ipv4Sample).map(([a, b]) => {
          const [first, last] =
            Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes)) <= 0 ? [a, b] : [b, a];
          return { kind: "rdata-ip", first: first.bytes, last: last.bytes } as LookupTarget;
        }),
      );
      fc.assert(
        fc.property(
          target,
          nastyName,
          ipv4Sample,
          sortKey,
          fc.string({ unit: utf16Unit, maxLength: 80 }),
          (t, via, address, key, junk) => {
            // Names a lookup finds records through are stored names.
            fc.pre(normalizeName(via) === via);
            const record = {
              rrname: "example.com",
              rrtype: 1,
              rdata: address.text,
              timeFirst: 1,
              timeLast: 2,
              count: 1,
              sensors: [],
              sortKey: key,
              via: t.kind === "rdata-ip" ? address.bytes : via,
            };
            const cursor = lookupCursor(t, record as Parameters<typeof lookupCursor>[1]);
            const position = parseLookupCursor(t, cursor);
            expect(position.sortKey.equals(key)).toBe(true);
            if (t.kind === "owner-under" || t.kind === "rdata-name-prefix") expect(position.name).toBe(via);
            if (t.kind === "rdata-ip" && !sameBytes(t.first, t.last))
              expect(sameBytes(position.address ?? new Uint8Array(), address.bytes)).toBe(true);
            for (const text of [junk, `${cursor}x`, cursor.slice(1), cursor.slice(0, -1)]) {
              try {
                parseLookupCursor(t, text);
              } catch (error) {
                expect(error).toBeInstanceOf(LookupError);
              }
            }
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );
});
