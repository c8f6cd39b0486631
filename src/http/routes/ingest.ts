/**
 * HTTP ingest for sensors: `POST /ingest/passivedns`, `POST /ingest/ja3-jl`, `POST /ingest/eve`. The
 * body is read as a stream (never held whole), gunzipped when it is gzip (by `Content-Encoding` or by
 * its first bytes), parsed and written batch by batch like the CLI's import; the answer, sent once every
 * batch is committed, is the same JSON summary as `pdns-pssl ingest --json` (lines, records, rejected
 * lines per reason with the first few line numbers). Records carry the sensor id of the caller's user;
 * an admin may name another with `X-Sensor-Id`. A body over the configured maximum is 413: at once
 * when Content-Length says so, otherwise when the limit is reached (batches written before then stay).
 */
import { Hono } from "hono";
import { ingestPassiveDns } from "../../ingest/ingest-passivedns.js";
import { ingestTls } from "../../ingest/ingest-tls.js";
import { decompressIfGzip } from "../../ingest/input.js";
import {
  createPassiveDnsParser,
  DEFAULT_LAYOUT,
  type PassiveDnsLayout,
  parseFieldLetters,
} from "../../ingest/passivedns-parser.js";
import { countIngest } from "../../observability/metrics.js";
import type { Store } from "../../store/types.js";
import { ApiError, badRequest } from "../errors.js";
import { limitedBody } from "../json-body.js";
import { answerJson, noteQueryValue, noteResults, type RequestEnv } from "../request-env.js";

export interface IngestRouteOptions {
  store: Store;
  /** Largest request body accepted, in bytes (as sent, compressed or not). */
  maxBodyBytes: number;
}

const SENSOR_ID = /^[A-Za-z0-9._:@-]{1,64}$/;

function layoutOf(query: Record<string, string>): PassiveDnsLayout {
  const format = query.format ?? "text";
  if (format === "json") return { ...DEFAULT_LAYOUT, format: "json" };
  if (format !== "text") throw badRequest("format is text or json");
  try {
    const layout: PassiveDnsLayout = {
      format: "text",
      delimiter: query.delimiter ?? DEFAULT_LAYOUT.delimiter,
      fields: query.fields === undefined ? DEFAULT_LAYOUT.fields : parseFieldLetters(query.fields),
    };
    // Building the parser checks the layout as a whole (an empty delimiter, fields missing the time,
    // name, type or answer): a 400 now, not a failure once the body is read.
    createPassiveDnsParser(layout);
    return layout;
  } catch (error) {
    throw badRequest((error as Error).message);
  }
}

export function ingestRoutes(options: IngestRouteOptions) {
  const app = new Hono<RequestEnv>();

  app.post("/:format{passivedns|ja3-jl|eve}", async (c) => {
    const format = c.req.param("format") as "passivedns" | "ja3-jl" | "eve";
    const principal = c.get("principal");
    const named = c.req.header("X-Sensor-Id");
    if (named !== undefined && principal.role !== "admin") {
      throw new ApiError(403, "forbidden", "only admins may name another sensor with X-Sensor-Id");
    }
    const sensorId = named ?? principal.user;
    if (!SENSOR_ID.test(sensorId)) throw badRequest("X-Sensor-Id: 1 to 64 of A-Z a-z 0-9 . _ : @ -");
    noteQueryValue(c, `${format} from ${sensorId}`);
    const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== "" && encoding !== "gzip" && encoding !== "identity") {
      throw new ApiError(415, "unsupported_encoding", "Content-Encoding may be gzip or identity");
    }
    const layout = format === "passivedns" ? layoutOf(c.req.query()) : undefined;
    // Gzip is recognised by its first bytes, so a gzip body is read right with or without the header.
    const input = decompressIfGzip(limitedBody(c, options.maxBodyBytes));
    try {
      if (layout) {
        const summary = await ingestPassiveDns(input, options.store, { sensorId, layout });
        noteResults(c, summary.records);
        countIngest("http", format, summary.records, summary.rejected);
        return answerJson(c, summary);
      }
      const summary = await ingestTls(input, options.store, { format: format as "ja3-jl" | "eve", sensorId });
      noteResults(c, summary.sessions);
      countIngest("http", format, summary.sessions, summary.rejected);
      return answerJson(c, summary);
    } catch (error) {
      if (
        (error as NodeJS.ErrnoException).code === "Z_DATA_ERROR" ||
        (error as Error).message?.includes("incorrect header check")
      ) {
        throw badRequest("the body is not valid gzip");
      }
      throw error;
    }
  });

  return app;
}
