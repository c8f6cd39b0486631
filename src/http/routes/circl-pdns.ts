/**
 * CIRCL-compatible passive DNS: `GET /pdns/query/<name|ip>` answering COF NDJSON, with the dribble
 * headers PyPDNS and `dnsdbq -u circl` use (rrtype filter, page size, cursor), and
 * `GET /pdns/rcodes/<name>` listing the error answers (NXDOMAIN, SERVFAIL...) seen for a name.
 */
import { Hono } from "hono";
import { z } from "zod";
import { rcodeName } from "../../dns/rcode.js";
import { rrtypeToCof } from "../../dns/rrtype.js";
import { cofLine } from "../../pdns/cof.js";
import type { TimeFences } from "../../pdns/lookup-types.js";
import { parseLookupValue } from "../../pdns/lookup-value.js";
import { parseQueryValue } from "../../pdns/query-value.js";
import { decodeObservation, decodeRcodeKey } from "../../pdns/record-codec.js";
import { firstOf } from "../../pdns/record-query.js";
import { TimeFenceError, timeFencesOf } from "../../pdns/time-fences.js";
import type { Store } from "../../store/types.js";
import { badRequest } from "../errors.js";
import { describeIssues } from "../json-body.js";
import { chunkedBody, joinLines, NDJSON } from "../ndjson-response.js";
import { checkBlockWidth, rrtypeFilterOf, sourceOf } from "../pdns-query.js";
import { answer, noteResults, type RequestEnv, resultsMax, streamOutcomeReporter } from "../request-env.js";
import { queryValue } from "../request-value.js";

export interface PdnsRouteOptions {
  store: Store;
  origin: string | undefined;
  maxPageSize: number;
  /** Widest address block (shortest prefix) a non-admin may ask for, per family. */
  maxCidr: { 4: number; 6: number };
}

/**
 * The query parameters the CIRCL route takes beyond CIRCL's own API (which has none); the OpenAPI
 * document describes them with this schema.
 */
export const parametersSchema = z.object({
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
    checkBlockWidth(parsed, c.get("principal").role === "admin", options.maxCidr);
    const source = sourceOf(store, parsed, rrtypes, fences);
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
