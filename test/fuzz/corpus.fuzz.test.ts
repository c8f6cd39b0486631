/**
 * Replays the whole corpus of nasty inputs (test/fixtures/nasty/, one JSON array per parser) on every
 * run: each case must keep its parser's invariants, and a case with `expect` (a regression, or a
 * decision worth pinning) must give that result. A corpus file without a replayer here fails the run.
 */
import { readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCredentials } from "../../src/auth/credentials.js";
import { JwtService } from "../../src/auth/jwt.js";
import { encodeD4Packet } from "../../src/d4/d4-session.js";
import { parseIp } from "../../src/dns/ip.js";
import { normalizeName } from "../../src/dns/name.js";
import { DnsdbError } from "../../src/dnsdb/errors.js";
import { pathSegments } from "../../src/dnsdb/path.js";
import { parseDnsdbRequest } from "../../src/dnsdb/request.js";
import { parseEveLine } from "../../src/ingest/eve-tls-parser.js";
import { decompressIfGzip } from "../../src/ingest/input.js";
import { parseJa3JlLine } from "../../src/ingest/ja3-jl-parser.js";
import { readLines } from "../../src/ingest/line-reader.js";
import {
  createPassiveDnsParser,
  DEFAULT_LAYOUT,
  type ParsedLine,
} from "../../src/ingest/passivedns-parser.js";
import { LookupError, parseLookupCursor } from "../../src/pdns/lookup.js";
import type { LookupTarget } from "../../src/pdns/lookup-types.js";
import { parseLookupValue } from "../../src/pdns/lookup-value.js";
import { sortKeyOfCursor } from "../../src/pdns/record-codec.js";
import {
  encode as encodePacket,
  goodPacket,
  KEY,
  OTHER_UUID,
  type PacketModel,
  run,
  UUID,
} from "./d4-model.js";
import {
  CORPUS_DIR,
  type CorpusCase,
  caseBytes,
  chunked,
  documentStore,
  loadCorpus,
  splitAt,
  timed,
  timedAsync,
} from "./fuzz.js";
import { expectStoredName, expectWellFormed, expectWellFormedTls } from "./invariants.js";

const label = (c: CorpusCase, k: number) =>
  `#${k} ${c.note ?? JSON.stringify(c.input ?? c.hex ?? "").slice(0, 60)}`;
/** `null` in a corpus file stands for "refused" (undefined). */
const orUndefined = (value: unknown) => (value === null ? undefined : value);
/** Bytes as hex, so that results compare with JSON expectations. */
const hexed = (value: unknown) =>
  JSON.parse(
    JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v)) ??
      "null",
  );

const REPLAYERS: Record<string, (cases: CorpusCase[]) => void> = {
  passivedns(cases) {
    const parsers = {
      text: createPassiveDnsParser(DEFAULT_LAYOUT),
      json: createPassiveDnsParser({ ...DEFAULT_LAYOUT, format: "json" }),
      pipe: createPassiveDnsParser({ ...DEFAULT_LAYOUT, delimiter: "|" }),
    };
    const fresh = (layout: keyof typeof parsers) =>
      layout === "json"
        ? createPassiveDnsParser({ ...DEFAULT_LAYOUT, format: "json" })
        : layout === "pipe"
          ? createPassiveDnsParser({ ...DEFAULT_LAYOUT, delimiter: "|" })
          : createPassiveDnsParser(DEFAULT_LAYOUT);
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const layout = (c.layout as keyof typeof parsers | undefined) ?? "text";
      const input = c.input ?? "";
      // The shared parser has seen every case before this one: it must answer as a fresh one.
      const result: ParsedLine = timed("parse", () => parsers[layout](input));
      expect(result).toEqual(fresh(layout)(input));
      expectWellFormed(result, layout === "json" ? undefined : input);
      if (c.expect !== undefined) expect(result).toMatchObject(c.expect as object);
    });
  },

  names(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const name = timed("normalizeName", () => normalizeName(c.input ?? ""));
      expect(name).toBe(orUndefined(c.expect));
      if (name !== undefined) {
        expectStoredName(name);
        expect(normalizeName(name)).toBe(name);
      }
    });
  },

  ip(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const ip = timed("parseIp", () => parseIp(c.input ?? ""));
      expect(ip?.text).toBe(orUndefined(c.expect));
      if (ip) expect(parseIp(ip.text)?.text).toBe(ip.text);
    });
  },

  "query-values"(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const value = timed("parseLookupValue", () => parseLookupValue(c.input ?? ""));
      const shown =
        value?.kind === "exact" && value.value.kind === "ip"
          ? { kind: "exact", value: { kind: "ip", text: value.value.ip.text } }
          : hexed(value);
      expect(shown ?? undefined).toEqual(orUndefined(c.expect));
    });
  },

  cursors(cases) {
    const targets: Record<string, LookupTarget> = {
      owner: { kind: "owner", name: "example.com" },
      "owner-under": { kind: "owner-under", domain: "example.com" },
      "rdata-ip-range": {
        kind: "rdata-ip",
        first: Uint8Array.of(10, 0, 0, 0),
        last: Uint8Array.of(10, 0, 0, 255),
      },
    };
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const input = c.input ?? "";
      if (typeof c.lookup === "string") {
        const target = targets[c.lookup];
        if (!target) throw new Error(`unknown lookup target ${c.lookup}`);
        try {
          const position = parseLookupCursor(target, input);
          expect(position.sortKey).toHaveLength(10);
        } catch (error) {
          expect(error).toBeInstanceOf(LookupError);
        }
        return;
      }
      expect(sortKeyOfCursor(input)?.toString("hex")).toBe(orUndefined(c.expect));
    });
  },

  credentials(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const result = parseCredentials({
        authorization: c.authorization as string | undefined,
        apiKey: c.apiKey as string | undefined,
      });
      expect(result).toEqual(orUndefined(c.expect));
    });
  },

  jwt(cases) {
    let jwt: JwtService;
    let kid = "";
    beforeAll(async () => {
      jwt = await JwtService.open(documentStore(), {
        issuer: "pdns-pssl",
        audience: "pdns-pssl",
        defaultTtlSeconds: 900,
        maxTtlSeconds: 3600,
      });
      const { token } = await jwt.issue({ user: "root", tokenId: "0123456789abcdef" });
      kid = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()).kid;
    });
    const b64url = (value: unknown) =>
      Buffer.from(JSON.stringify(value).replaceAll('"{kid}"', JSON.stringify(kid))).toString("base64url");
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", async (_name, c) => {
      const token =
        typeof c.token === "string"
          ? c.token
          : `${b64url(c.header)}.${b64url(c.payload)}.${typeof c.signature === "string" ? c.signature : ""}`;
      expect(await timedAsync("verify", () => jwt.verify(token))).toBeUndefined();
    });
  },

  d4(cases) {
    const packetOf = (p: Record<string, unknown>): PacketModel => ({
      ...goodPacket(
        Number(p.type),
        typeof p.payloadHex === "string"
          ? Buffer.from(p.payloadHex, "hex")
          : Buffer.from(String(p.payload ?? ""), "utf8"),
      ),
      version: typeof p.version === "number" ? p.version : 1,
      uuid: p.uuid === "other" ? OTHER_UUID : UUID,
      goodKey: p.key !== "bad",
      claimedSize: typeof p.size === "number" ? p.size : undefined,
    });
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", async (_name, c) => {
      const trickle = c.trickle as { payloadBytes: number; step: number } | undefined;
      if (trickle) {
        const stream = encodeD4Packet({
          type: 8,
          uuid: UUID,
          key: KEY,
          payload: Buffer.alloc(trickle.payloadBytes, 0x61),
        });
        const cuts = Array.from(
          { length: Math.ceil(stream.length / trickle.step) },
          (_, k) => (k + 1) * trickle.step,
        );
        const got = await timedAsync("trickled packet", () => run(stream, cuts, 1_000_000), Number(c.maxMs));
        expect(got.failure).toBeUndefined();
        expect(got.end).toEqual(["a".repeat(trickle.payloadBytes)]);
        return;
      }
      const packets = Array.isArray(c.packets)
        ? (c.packets as Record<string, unknown>[]).map(packetOf)
        : undefined;
      const stream = packets ? Buffer.concat(packets.map(encodePacket)) : caseBytes(c);
      const got = await timedAsync("d4", () =>
        run(stream, Array.isArray(c.cuts) ? (c.cuts as number[]) : []),
      );
      const want = c.expect as { lines?: string[]; failure?: string | null; dataType?: string } | undefined;
      if (want?.lines !== undefined) expect(got.lines).toEqual(want.lines);
      if (want?.failure !== undefined) expect(got.failure).toBe(orUndefined(want.failure));
      if (want?.dataType !== undefined) expect(got.session.dataType).toBe(want.dataType);
    });
  },

  "line-reader"(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", async (_name, c) => {
      const fill = c.fill as { byte: number; count: number } | undefined;
      let bytes = fill
        ? Buffer.concat([Buffer.alloc(fill.count, fill.byte), Buffer.from("\n")])
        : caseBytes(c);
      if (typeof c.gzip === "string") bytes = gzipSync(c.gzip);
      const cuts =
        typeof c.chunk === "number"
          ? Array.from({ length: Math.ceil(bytes.length / c.chunk) }, (_, k) => (k + 1) * (c.chunk as number))
          : Array.isArray(c.cuts)
            ? (c.cuts as number[])
            : [];
      const chunks = splitAt(bytes, cuts);
      if (c.gunzip === true) {
        const want = c.expect as { error?: string; bytes?: string };
        const out: Buffer[] = [];
        try {
          for await (const chunk of decompressIfGzip(chunked(chunks))) out.push(chunk);
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe(want.error);
          return;
        }
        expect(want.error).toBeUndefined();
        expect(Buffer.concat(out).toString("hex")).toBe(want.bytes);
        return;
      }
      const source = typeof c.gzip === "string" ? decompressIfGzip(chunked(chunks)) : chunked(chunks);
      const lines: unknown[] = [];
      await timedAsync(
        "readLines",
        async () => {
          for await (const batch of readLines(source, { maxLineBytes: Number(c.max) })) lines.push(...batch);
        },
        typeof c.maxMs === "number" ? c.maxMs : undefined,
      );
      const shown = lines.map((line) => {
        if (!Buffer.isBuffer(line)) return line;
        if (fill) return { length: line.length };
        const text = line.toString("utf8");
        return Buffer.from(text, "utf8").equals(line) ? text : { hex: line.toString("hex") };
      });
      expect(shown).toEqual(c.expect);
    });
  },

  "ja3-jl"(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const input = c.input ?? "";
      const result = timed("ja3-jl", () => parseJa3JlLine(input));
      expectWellFormedTls(result);
      // The fast path and JSON.parse (a trailing space sends the line there) agree.
      const slow = parseJa3JlLine(`${input} `);
      expect(result.kind === "reject" ? { kind: "reject", reason: result.reason } : result).toEqual(
        slow.kind === "reject" ? { kind: "reject", reason: slow.reason } : slow,
      );
      if (c.expect !== undefined) expect(result).toMatchObject(c.expect as object);
    });
  },

  eve(cases) {
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const result = timed("eve", () => parseEveLine(c.input ?? ""));
      expectWellFormedTls(result);
      if (c.expect !== undefined) expect(result).toMatchObject(c.expect as object);
    });
  },

  dnsdb(cases) {
    const context = {
      verb: "lookup" as const,
      now: 1_700_000_000,
      callerMax: 1000,
      offsetMax: 5000,
      ipLimit: { ipv4: 16, ipv6: 48 },
    };
    it.each(cases.map((c, k) => [label(c, k), c] as const))("%s", (_name, c) => {
      const want = c.expect as { status?: number; target?: object; segments?: string[] };
      try {
        if (typeof c.url === "string") {
          expect(pathSegments(c.url, "/dnsdb/v2/lookup/")).toEqual(want.segments);
        } else {
          const params = new URLSearchParams((c.params as [string, string][] | undefined) ?? []);
          const request = parseDnsdbRequest(c.segments as string[], params, context);
          expect(hexed(request.lookup.target)).toMatchObject(want.target ?? {});
        }
        expect(want.status).toBeUndefined();
      } catch (error) {
        if (!(error instanceof DnsdbError)) throw error;
        expect(error.status).toBe(want.status);
        expect(error.message.length).toBeGreaterThan(0);
      }
    });
  },
};

describe("the corpus of nasty inputs", () => {
  const files = readdirSync(CORPUS_DIR)
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.replace(/\.json$/, ""));

  it("has a replayer for every corpus file", () => {
    expect(files.filter((name) => !(name in REPLAYERS))).toEqual([]);
    expect(files.length).toBeGreaterThan(0);
  });

  for (const name of files) {
    const replay = REPLAYERS[name];
    if (replay) describe(name, () => replay(loadCorpus(name)));
  }
});
