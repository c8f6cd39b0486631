/**
 * The routes of the D4 project's passive DNS server, as a drop-in replacement without its limits
 * (every rrtype, no 200-member cliff): `/query/<q>`, `/fquery/<q>` and `/info`.
 */
import { type Context, Hono } from "hono";
import { type IngestStatus, ingestInfo } from "../../ingest/ingest-status.js";
import { cofLine } from "../../pdns/cof.js";
import { parseQueryValue, type QueryValue } from "../../pdns/query-value.js";
import { type DecodedRecord, queryRecords } from "../../pdns/record-query.js";
import type { IndexRef, Store } from "../../store/types.js";
import { badRequest } from "../errors.js";
import { chunkedBody, joinLines, limitChunks, NDJSON } from "../ndjson-response.js";
import { answer, answerJson, type RequestEnv, resultsMax, streamOutcomeReporter } from "../request-env.js";
import { queryValue } from "../request-value.js";

export interface D4RouteOptions {
  store: Store;
  origin: string;
  version: string;
  /** The ingest running inside the server, shown to admins in /info. */
  ingest?: IngestStatus | undefined;
}

function queryValueOf(c: Context<RequestEnv>, prefix: string): QueryValue {
  const raw = queryValue(c, prefix);
  const value = parseQueryValue(raw);
  if (!value) throw badRequest(`not a domain name or an IP address: ${JSON.stringify(raw.slice(0, 100))}`);
  return value;
}

function refOf(value: QueryValue): IndexRef {
  return value.kind === "ip" ? { kind: "ip", bytes: value.ip.bytes, text: value.ip.text } : value;
}

/** Every record of every name pointing to `ref`, each name once. */
async function* recordsOfNamesPointingTo(store: Store, ref: IndexRef): AsyncGenerator<DecodedRecord[]> {
  const seen = new Set<string>();
  for await (const chunk of queryRecords(store, { pointingTo: ref })) {
    for (const { rrname } of chunk) {
      if (seen.has(rrname)) continue;
      seen.add(rrname);
      yield* queryRecords(store, { owner: rrname });
    }
  }
}

export function d4PdnsRoutes(options: D4RouteOptions) {
  const { store, origin } = options;
  const app = new Hono<RequestEnv>();
  const headers = { "content-type": NDJSON };
  // COF NDJSON of the records, within the user's result limit, streamed.
  const streamRecords = async (c: Context<RequestEnv>, records: AsyncIterable<DecodedRecord[]>) =>
    answer(
      c,
      await chunkedBody(
        joinLines(limitChunks(records, resultsMax(c)), (r) => cofLine(r, origin)),
        streamOutcomeReporter(c),
      ),
      200,
      headers,
    );

  app.get("/query/*", async (c) => {
    const value = queryValueOf(c, "/query/");
    const records =
      value.kind === "ip"
        ? recordsOfNamesPointingTo(store, refOf(value))
        : queryRecords(store, { owner: value.name });
    return streamRecords(c, records);
  });

  app.get("/fquery/*", async (c) => {
    const value = queryValueOf(c, "/fquery/");
    return streamRecords(c, queryRecords(store, { pointingTo: refOf(value) }));
  });

  app.get("/info", async (c) => {
    const sensors = await store.sensorLines();
    return answerJson(c, {
      version: options.version,
      software: "pdns-pssl",
      stats: sensors.reduce((sum, s) => sum + s.lines, 0),
      sensors: sensors.map((s) => ({ sensor_id: s.sensorId, count: s.lines })),
      // Analysts may read /info too; queue uuids and Redis addresses are for admins only.
      ...(options.ingest && c.get("principal")?.role === "admin"
        ? { ingest: ingestInfo(options.ingest) }
        : {}),
    });
  });

  return app;
}
