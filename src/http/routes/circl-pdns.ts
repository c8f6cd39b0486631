/**
 * CIRCL-compatible passive DNS: `GET /pdns/query/<name|ip>` answering COF NDJSON, with the dribble
 * headers PyPDNS and `dnsdbq -u circl` use (rrtype filter, page size, cursor), and
 * `GET /pdns/rcodes/<name>` listing the error answers (NXDOMAIN, SERVFAIL...) seen for a name.
 */
import { Hono } from "hono";
import { z } from "zod";
import { rcodeName } from "../../dns/rcode.js";
import { rrtypeFromText, rrtypeToCof } from "../../dns/rrtype.js";
import { cofLine } from "../../pdns/cof.js";
import {
  LookupError,
  type LookupRecord,
  lookupCursor,
  lookupRecords,
  matchesFilters,
} from "../../pdns/lookup.js";
import type { LookupTarget, RrtypeFilter, TimeFences } from "../../pdns/lookup-types.js";
import { parseLookupValue, spanPrefixLength } from "../../pdns/lookup-value.js";
import { parseQueryValue, type QueryValue } from "../../pdns/query-value.js";
import { cursorOf, decodeObservation, decodeRcodeKey, sortKeyOfCursor } from "../../pdns/record-codec.js";
import { type DecodedRecord, queryRecords, type RecordQuery } from "../../pdns/record-query.js";
import { TimeFenceError, timeFencesOf } from "../../pdns/time-fences.js";
import type { Store } from "../../store/types.js";
import { badRequest } from "../errors.js";
import { describeIssues } from "../json-body.js";
import { chunkedBody, joinLines, NDJSON } from "../ndjson-response.js";
import { answer, noteResults, type RequestEnv, resultsMax, streamOutcomeReporter } from "../request-env.js";
import { queryValue } from "../request-value.js";

export interface PdnsRouteOptions {
  store: Store;
  origin: string | undefined;
  maxPageSize: number;
  /** Widest address block (shortest prefix) a non-admin may ask for, per family. */
  maxCidr: { 4: number; 6: number };
}

/** The rrtype filter from the dribble header or the `rrtype` parameter (ANY, ANY-DNSSEC, a type). */
function rrtypeFilterOf(header: string | undefined, parameter: string | undefined): RrtypeFilter {
  const texts = [header?.trim(), parameter?.trim()].filter((t): t is string => t !== undefined && t !== "");
  if (texts.length === 2 && texts[0]?.toUpperCase() !== texts[1]?.toUpperCase()) {
    throw badRequest("dribble-filter-rrtype and rrtype disagree");
  }
  const text = texts[0];
  if (text === undefined) return { kind: "all" };
  if (text.toUpperCase() === "ANY") return { kind: "any" };
  if (text.toUpperCase() === "ANY-DNSSEC") return { kind: "any-dnssec" };
  const rrtype = rrtypeFromText(text);
  if (rrtype === undefined) throw badRequest(`unknown rrtype ${JSON.stringify(text)}`);
  return { kind: "one", rrtype };
}

/** Up to `limit` records of a source, and whether more follow. */
async function firstOf(
  source: AsyncIterable<DecodedRecord[]>,
  limit: number,
): Promise<{ records: DecodedRecord[]; more: boolean }> {
  const records: DecodedRecord[] = [];
  for await (const chunk of source) {
    for (const record of chunk) {
      if (records.length === limit) return { records, more: true };
      records.push(record);
    }
  }
  return { records, more: false };
}

/** The query parameters the CIRCL route takes beyond CIRCL's own API (which has none). */
const parametersSchema = z.object({
  rrtype: z.string().optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,9}$/, "limit must be a positive integer")
    .optional(),
  time_first_before: z.string().optional(),
  time_first_after: z.string().optional(),
  time_last_before: z.string().optional(),
  time_last_after: z.string().optional(),
});

/** What one CIRCL query reads: its records in a stable order, and the cursor after any of them. */
interface RecordSource {
  records(after: string | undefined): AsyncIterable<DecodedRecord[]>;
  cursorAfter(record: LookupRecord): string;
}

function exactSource(
  store: Store,
  value: QueryValue,
  rrtypes: RrtypeFilter,
  fences: TimeFences,
): RecordSource {
  const query: RecordQuery =
    value.kind === "ip"
      ? { pointingTo: { kind: "ip", bytes: value.ip.bytes, text: value.ip.text } }
      : { owner: value.name, pointingTo: { kind: "name", name: value.name } };
  if (rrtypes.kind === "one") query.rrtype = rrtypes.rrtype;
  return {
    async *records(after) {
      let from: Buffer | undefined;
      if (after !== undefined) {
        from = sortKeyOfCursor(after);
        if (!from) throw badRequest("dribble-paginate-cursor is not a cursor this server issued");
      }
      for await (const chunk of queryRecords(store, { ...query, after: from })) {
        const kept = chunk.filter((record) => matchesFilters(record, rrtypes, fences));
        if (kept.length > 0) yield kept;
      }
    },
    cursorAfter: (record) => cursorOf(record.sortKey),
  };
}

// Lookup cursors are bytes starting with a non-zero version byte: as a decimal integer (what PyPDNS
// needs) they survive the round trip exactly.
function lookupSource(
  store: Store,
  target: LookupTarget,
  rrtypes: RrtypeFilter,
  fences: TimeFences,
): RecordSource {
  return {
    async *records(after) {
      let cursor: string | undefined;
      if (after !== undefined) {
        if (!/^[1-9][0-9]{0,1400}$/.test(after))
          throw badRequest("dribble-paginate-cursor is not a cursor this server issued");
        let hex = BigInt(after).toString(16);
        if (hex.length % 2 === 1) hex = `0${hex}`;
        cursor = Buffer.from(hex, "hex").toString("base64url");
      }
      try {
        yield* lookupRecords(store, { target, rrtypes, fences, cursor });
      } catch (error) {
        if (error instanceof LookupError) throw badRequest(error.message);
        throw error;
      }
    },
    cursorAfter: (record) =>
      BigInt(`0x${Buffer.from(lookupCursor(target, record), "base64url").toString("hex")}`).toString(10),
  };
}

function pageSizeOf(header: string | undefined, max: number): number | undefined {
  if (header === undefined) return undefined;
  if (!/^[0-9]{1,9}$/.test(header.trim()))
    throw badRequest("dribble-paginate-count must be a positive integer");
  const size = Number(header.trim());
  if (size < 1 || size > max) throw badRequest(`dribble-paginate-count must be between 1 and ${max}`);
  return size;
}

export function circlPdnsRoutes(options: PdnsRouteOptions) {
  const { store, origin } = options;
  const app = new Hono<RequestEnv>();

  app.get("/query/*", async (c) => {
    const raw = queryValue(c, "/pdns/query/");
    const parsed = parseLookupValue(raw);
    if (!parsed)
      throw badRequest(
        `not a domain name, an IP address, a wildcard or a block: ${JSON.stringify(raw.slice(0, 100))}`,
      );
    const parameters = parametersSchema.safeParse(c.req.query());
    if (!parameters.success) throw badRequest(describeIssues(parameters.error));
    const rrtypes = rrtypeFilterOf(c.req.header("dribble-filter-rrtype"), parameters.data.rrtype);
    let fences: TimeFences;
    try {
      fences = timeFencesOf(parameters.data);
    } catch (error) {
      if (error instanceof TimeFenceError) throw badRequest(error.message);
      throw error;
    }
    if (parsed.kind === "many" && parsed.target.kind === "rdata-ip") {
      const widest =
        c.get("principal").role === "admin" ? 0 : options.maxCidr[parsed.target.first.length === 4 ? 4 : 6];
      if (spanPrefixLength(parsed.target.first, parsed.target.last) < widest) {
        throw badRequest(`address blocks may be at most /${widest} wide for your role`);
      }
    }
    const source =
      parsed.kind === "exact"
        ? exactSource(store, parsed.value, rrtypes, fences)
        : lookupSource(store, parsed.target, rrtypes, fences);
    const cursor = c.req.header("dribble-paginate-cursor")?.trim() || undefined;
    // The page: what the client asks (dribble-paginate-count, limit), within the user's result limit.
    const limits = [
      pageSizeOf(c.req.header("dribble-paginate-count"), options.maxPageSize),
      parameters.data.limit === undefined ? undefined : Math.max(1, Number(parameters.data.limit)),
      resultsMax(c),
    ].filter((n): n is number => n !== undefined);
    const headers: Record<string, string> = { "content-type": NDJSON };
    if (limits.length === 0) {
      return answer(
        c,
        await chunkedBody(
          joinLines(source.records(cursor), (r) => cofLine(r, origin)),
          streamOutcomeReporter(c),
        ),
        200,
        headers,
      );
    }
    const pageSize = Math.min(...limits);
    const page = await firstOf(source.records(cursor), pageSize);
    const last = page.records[page.records.length - 1];
    if (page.more && last) headers["x-dribble-cursor"] = source.cursorAfter(last);
    noteResults(c, page.records.length);
    return answer(c, page.records.map((r) => cofLine(r, origin)).join(""), 200, headers);
  });

  app.get("/rcodes/*", async (c) => {
    const raw = queryValue(c, "/pdns/rcodes/");
    const value = parseQueryValue(raw);
    if (value?.kind !== "name") throw badRequest(`not a domain name: ${JSON.stringify(raw.slice(0, 100))}`);
    const lines = (await store.listRcodes(value.name)).map(({ key, value: stored }) => {
      const { rcode, qtype } = decodeRcodeKey(key);
      const { obs } = decodeObservation(stored);
      return `${JSON.stringify({
        rrname: value.name,
        rrtype: rrtypeToCof(qtype),
        rcode: rcodeName(rcode),
        time_first: obs.timeFirst,
        time_last: obs.timeLast,
        count: obs.count,
      })}\n`;
    });
    noteResults(c, lines.length);
    return answer(c, lines.join(""), 200, { "content-type": NDJSON });
  });

  return app;
}
