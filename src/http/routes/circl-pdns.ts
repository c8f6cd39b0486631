/**
 * CIRCL-compatible passive DNS: `GET /pdns/query/<name|ip>` answering COF NDJSON, with the dribble
 * headers PyPDNS and `dnsdbq -u circl` use (rrtype filter, page size, cursor), and
 * `GET /pdns/rcodes/<name>` listing the error answers (NXDOMAIN, SERVFAIL...) seen for a name.
 */
import { Hono } from "hono";
import { rcodeName } from "../../dns/rcode.js";
import { rrtypeFromText, rrtypeToCof } from "../../dns/rrtype.js";
import { cofLine } from "../../pdns/cof.js";
import { parseQueryValue } from "../../pdns/query-value.js";
import { cursorOf, decodeObservation, decodeRcodeKey, sortKeyOfCursor } from "../../pdns/record-codec.js";
import { firstRecords, queryRecords, type RecordQuery } from "../../pdns/record-query.js";
import type { Store } from "../../store/types.js";
import { badRequest } from "../errors.js";
import { chunkedBody, joinLines, NDJSON } from "../ndjson-response.js";
import { answer, noteResults, type RequestEnv, resultsMax, streamOutcomeReporter } from "../request-env.js";
import { queryValue } from "../request-value.js";

export interface PdnsRouteOptions {
  store: Store;
  origin: string | undefined;
  maxPageSize: number;
}

function queryFor(raw: string): RecordQuery {
  const value = parseQueryValue(raw);
  if (!value) throw badRequest(`not a domain name or an IP address: ${JSON.stringify(raw.slice(0, 100))}`);
  if (value.kind === "ip") return { pointingTo: { kind: "ip", bytes: value.ip.bytes, text: value.ip.text } };
  return { owner: value.name, pointingTo: { kind: "name", name: value.name } };
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
    const query = queryFor(queryValue(c, "/pdns/query/"));
    const rrtypeHeader = c.req.header("dribble-filter-rrtype");
    if (rrtypeHeader !== undefined) {
      query.rrtype = rrtypeFromText(rrtypeHeader.trim());
      if (query.rrtype === undefined) throw badRequest(`unknown rrtype ${JSON.stringify(rrtypeHeader)}`);
    }
    const cursor = c.req.header("dribble-paginate-cursor");
    if (cursor !== undefined && cursor.trim() !== "") {
      query.after = sortKeyOfCursor(cursor.trim());
      if (!query.after) throw badRequest("dribble-paginate-cursor is not a cursor this server issued");
    }
    const requested = pageSizeOf(c.req.header("dribble-paginate-count"), options.maxPageSize);
    // A user's result limit turns an answer into pages of that size: the cursor leads to the rest.
    const max = resultsMax(c);
    const pageSize = max !== undefined && (requested === undefined || requested > max) ? max : requested;
    const headers: Record<string, string> = { "content-type": NDJSON };
    if (pageSize === undefined) {
      return answer(
        c,
        await chunkedBody(
          joinLines(queryRecords(store, query), (r) => cofLine(r, origin)),
          streamOutcomeReporter(c),
        ),
        200,
        headers,
      );
    }
    const page = await firstRecords(store, query, pageSize);
    const last = page.records[page.records.length - 1];
    if (page.more && last) headers["x-dribble-cursor"] = cursorOf(last.sortKey);
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
