/**
 * DNSDB API v2 (`/dnsdb/v2`), as dnsdbq and the other DNSDB clients speak it: `lookup` and `summarize`
 * over `rrset/name`, `rrset/raw`, `rdata/name`, `rdata/ip` and `rdata/raw` (see src/dnsdb/path.ts),
 * answered in SAF framing (src/dnsdb/saf.ts, src/dnsdb/summary.ts) as `application/x-ndjson`, and
 * `ping`. (`rate_limit` is dnsdb-rate-limit.ts.)
 *
 * Choices where DNSDB's documentation is silent:
 * - `GET /ping` needs no credential: it only says the server is up (`{"ping":"ok"}`), reads no data
 *   and no account, so load balancers and clients can probe it; a credential sent with it is ignored.
 * - Errors before the answer starts are plain text whose first line is `Error: <message>` (dnsdbq
 *   prints the first line): 400 bad path value or parameter, 404 unknown path, 415 an Accept that
 *   allows neither NDJSON nor JSON, 416 an offset above the maximum. Access control's own refusals
 *   (401, 403, 429) keep the server's one-line JSON error shape.
 * - `Accept`: absent, or naming `application/x-ndjson`, `application/json`, `application/*` or the
 *   any-type range (with q > 0), gets the SAF NDJSON answer; anything else is 415.
 * - A limit above the caller's maximum is capped at it (the cursor of `limited` leads to the rest).
 * - The widest address block of `rdata/ip` is per role (`ipBlockLimits`), admins unlimited.
 */
import { type Context, Hono } from "hono";
import type { Role } from "../../auth/accounts.js";
import { DnsdbError } from "../../dnsdb/errors.js";
import type { IpBlockLimit } from "../../dnsdb/ip-block.js";
import { noSuchPath, pathSegments } from "../../dnsdb/path.js";
import { primed } from "../../dnsdb/primed.js";
import { parseDnsdbRequest } from "../../dnsdb/request.js";
import { safLookupLines } from "../../dnsdb/saf.js";
import { safSummaryLines } from "../../dnsdb/summary.js";
import { LookupError, type LookupRecord, lookupCursor, lookupRecords } from "../../pdns/lookup.js";
import type { Store } from "../../store/types.js";
import { chunkedBody, NDJSON } from "../ndjson-response.js";
import {
  answer,
  answerJson,
  noteQueryValue,
  type RequestEnv,
  resultsMax,
  type StreamOutcome,
  streamOutcomeReporter,
} from "../request-env.js";

export interface DnsdbRouteOptions {
  store: Store;
  /** The widest `rdata/ip` block per role (null: unlimited); roles not given keep the default. */
  ipBlockLimits?: Partial<Record<Role, IpBlockLimit | null>>;
  /** Results per answer for a user with no `results_max` of their own (what `limit=0` gives them). */
  resultsMax?: number;
  /** The largest `offset` accepted (above: 416). */
  offsetMax?: number;
  /** Where errors met while streaming are logged. */
  log?: (message: string) => void;
}

/** The defaults of DnsdbRouteOptions. */
export const DNSDB_ROUTE_DEFAULTS = {
  ipBlockLimits: {
    admin: null,
    analyst: { ipv4: 16, ipv6: 48 },
    sensor: { ipv4: 16, ipv6: 48 },
  } satisfies Record<Role, IpBlockLimit | null>,
  resultsMax: 1_000_000,
  offsetMax: 1_000_000,
} as const;

/** The biggest store read per step of an answer. */
const MAX_CHUNK = 512;

const ACCEPTED = new Set(["application/x-ndjson", "application/json", "application/*", "*/*"]);

/** Whether an Accept header allows the NDJSON answer (absent or empty: yes). */
export function acceptsSaf(header: string | undefined): boolean {
  if (header === undefined || header.trim() === "") return true;
  return header.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith("q="));
    return ACCEPTED.has(type) && (q === undefined || Number(q.slice(2)) > 0);
  });
}

function errorAnswer(c: Context<RequestEnv>, error: DnsdbError): Response {
  return answer(c, `Error: ${error.message}\n`, error.status, {
    "content-type": "text/plain; charset=utf-8",
  });
}

function checkAccept(c: Context<RequestEnv>): void {
  if (!acceptsSaf(c.req.header("accept"))) {
    throw new DnsdbError(415, "this API answers application/x-ndjson (or application/json) only");
  }
}

/** A streamed answer's outcome counted in records: the lines sent without begin and terminator. */
function objLines(outcome: StreamOutcome): StreamOutcome {
  const framing = outcome.aborted ? 1 : 2;
  return { ...outcome, lines: Math.max(0, outcome.lines - framing) };
}

export function dnsdbRoutes(options: DnsdbRouteOptions) {
  const { store } = options;
  const ipBlockLimits = { ...DNSDB_ROUTE_DEFAULTS.ipBlockLimits, ...options.ipBlockLimits };
  const serverMax = options.resultsMax ?? DNSDB_ROUTE_DEFAULTS.resultsMax;
  const offsetMax = options.offsetMax ?? DNSDB_ROUTE_DEFAULTS.offsetMax;
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const app = new Hono<RequestEnv>();

  async function query(c: Context<RequestEnv>, verb: "lookup" | "summarize"): Promise<Response> {
    try {
      checkAccept(c);
      const segments = pathSegments(c.req.url, c.req.routePath.replace(/\*$/, ""));
      if (!segments) throw noSuchPath();
      noteQueryValue(c, segments[2] ?? "");
      const request = parseDnsdbRequest(segments, new URL(c.req.url).searchParams, {
        verb,
        now: Math.floor(Date.now() / 1000),
        callerMax: resultsMax(c) ?? serverMax,
        offsetMax,
        ipLimit: ipBlockLimits[c.get("principal").role] ?? null,
      });
      noteQueryValue(c, request.value);
      const { lookup, options: answerOptions } = request;
      const wanted = answerOptions.limit + (verb === "lookup" ? answerOptions.offset : 0) + 1;
      // Starts the lookup before answering: a bad cursor or an unsupported target is still a 400.
      const source = await primed(lookupRecords(store, lookup, Math.min(MAX_CHUNK, wanted)));
      const framing = {
        ...answerOptions,
        cursorOf: (record: LookupRecord) => lookupCursor(lookup.target, record),
        failure: (error: unknown) => {
          if (error instanceof LookupError) return error.message;
          const requestId = c.get("requestId");
          log(`request ${requestId} failed while streaming: ${(error as Error)?.stack ?? String(error)}`);
          return `internal error while reading records (request ${requestId})`;
        },
      };
      const lines = verb === "lookup" ? safLookupLines(source, framing) : safSummaryLines(source, framing);
      const report = streamOutcomeReporter(c);
      const body = await chunkedBody(lines, (outcome) => report(objLines(outcome)));
      return answer(c, body, 200, { "content-type": NDJSON });
    } catch (error) {
      if (error instanceof DnsdbError) return errorAnswer(c, error);
      if (error instanceof LookupError) return errorAnswer(c, new DnsdbError(400, error.message));
      throw error;
    }
  }

  app.get("/ping", (c) => {
    if (!acceptsSaf(c.req.header("accept"))) {
      return errorAnswer(c, new DnsdbError(415, "this API answers application/json only"));
    }
    return answerJson(c, { ping: "ok" });
  });
  app.get("/lookup/*", (c) => query(c, "lookup"));
  app.get("/summarize/*", (c) => query(c, "summarize"));
  app.all("*", (c) => errorAnswer(c, noSuchPath()));
  return app;
}
