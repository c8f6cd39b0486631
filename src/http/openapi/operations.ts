/**
 * Every route the HTTP app serves, described for the OpenAPI document. Where a route validates its input
 * with zod, the descriptor uses that very schema, imported from the route's module; where a route parses
 * by hand (path values, dribble headers, ingest options), a small zod schema of schemas.ts describes
 * it. Who may call a route is not written here: openapi-document.ts derives it from ROUTE_POLICIES.
 */
import { z } from "zod";
import { paramsSchema as dnsdbParamsSchema } from "../../dnsdb/params.js";
import {
  auditQuerySchema,
  newTokenSchema,
  newUserSchema,
  quotaBodySchema,
  userChangeSchema,
} from "../routes/admin.js";
import { newSensorSchema, typeSchema as sensorApprovalSchema } from "../routes/admin-sensors.js";
import { exchangeSchema } from "../routes/auth-token.js";
import { parametersSchema as pdnsQueryParametersSchema } from "../routes/circl-pdns.js";
import { itemSchema as bulkItemSchema } from "../routes/pdns-bulk.js";
import {
  type MediaContent,
  type NamedSchema,
  type OperationSpec,
  parameters,
  type ResponseSpec,
} from "./describe.js";
import * as example from "./examples.js";
import * as s from "./schemas.js";

const named = (name: string, schema: z.ZodType, io: "input" | "output" = "output"): NamedSchema => ({
  name,
  schema,
  io,
});

/** components.schemas, in the order the document lists them. */
export const SCHEMAS = {
  Error: named("Error", s.errorSchema),
  CofRecord: named("CofRecord", s.cofRecordSchema),
  RcodeLine: named("RcodeLine", s.rcodeLineSchema),
  BulkItem: named("BulkItem", bulkItemSchema, "input"),
  BulkLine: named("BulkLine", s.bulkLineSchema),
  SafLine: named("SafLine", s.safLineSchema),
  RateLimit: named("RateLimit", s.rateLimitSchema),
  Info: named("Info", s.infoSchema),
  PsslQuery: named("PsslQuery", s.psslQuerySchema),
  PsslCquery: named("PsslCquery", s.psslCquerySchema),
  PsslCfetch: named("PsslCfetch", s.psslCfetchSchema),
  PsslSightings: named("PsslSightings", s.psslSightingsSchema),
  PsslCsightings: named("PsslCsightings", s.psslCsightingsSchema),
  Ja3Sightings: named("Ja3Sightings", s.ja3Schema),
  Ja3sSightings: named("Ja3sSightings", s.ja3sSchema),
  CertificateSearch: named("CertificateSearch", s.csearchSchema),
  IngestSummary: named("IngestSummary", s.ingestSummarySchema),
  TokenExchange: named("TokenExchange", exchangeSchema, "input"),
  Jwt: named("Jwt", s.jwtSchema),
  WhoAmI: named("WhoAmI", s.whoAmISchema),
  Jwks: named("Jwks", s.jwksSchema),
  NewUser: named("NewUser", newUserSchema, "input"),
  UserChange: named("UserChange", userChangeSchema, "input"),
  User: named("User", s.userSchema),
  UserQuota: named("UserQuota", s.userSchema.shape.quota),
  Limits: named("Limits", s.userSchema.shape.limits),
  NewToken: named("NewToken", newTokenSchema, "input"),
  CreatedToken: named("CreatedToken", s.createdTokenSchema),
  TokenInfo: named("TokenInfo", s.tokenInfoSchema),
  QuotaSettings: named("QuotaSettings", quotaBodySchema, "input"),
  AuditEntry: named("AuditEntry", s.auditEntrySchema),
  NewSensor: named("NewSensor", newSensorSchema, "input"),
  SensorApproval: named("SensorApproval", sensorApprovalSchema, "input"),
  Sensor: named("Sensor", s.sensorSchema),
  Status: named("Status", s.statusSchema),
} as const;

/** Tags, in the order the docs page shows them. */
export const TAGS: ReadonlyArray<{ name: string; description: string }> = [
  {
    name: "Passive DNS (CIRCL)",
    description:
      "CIRCL's passive DNS API as PyPDNS and `dnsdbq -u circl` speak it, COF NDJSON out, and more: " +
      "wildcards, address blocks, time fences, bulk.",
  },
  { name: "DNSDB v2", description: "DNSDB's API v2, as dnsdbq speaks it: SAF NDJSON answers." },
  { name: "Passive DNS (D4 server)", description: "The routes of the D4 project's passive DNS server." },
  {
    name: "Passive SSL (CIRCL)",
    description: "CIRCL's passive SSL API (PyPSSL, MISP, Cortex, XSOAR), with its plain-text 400 errors.",
  },
  { name: "Passive SSL (extended)", description: "Beyond CIRCL: sightings, JA3/JA3S, certificate search." },
  { name: "Ingest", description: "Sensor output over HTTP (role sensor, or admin)." },
  { name: "Authentication", description: "Short-lived JWTs for an API token, and the keys that check them." },
  { name: "Admin", description: "Users, tokens, quotas, audit log, JWT keys (role admin)." },
  { name: "Admin: D4 sensors", description: "The D4 sensors of the TLS endpoint (role admin)." },
  { name: "Operations", description: "Health probes and metrics." },
  { name: "Documentation", description: "This document and its interactive page." },
  { name: "Web pages", description: "Search, pivots, timelines and admin pages for people, under /ui/." },
];

// --- building blocks ---

const NDJSON = "application/x-ndjson";
const RATE_LIMIT_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];
const JSON_TYPE = "application/json";
const TEXT = "text/plain";

const plainText = (message: string): MediaContent => ({
  schema: z.string(),
  examples: { error: { summary: "the message", value: message } },
});

const json = (schema: NamedSchema, examples: MediaContent["examples"] = undefined): MediaContent =>
  examples === undefined ? { schema } : { schema, examples };

const one = (summary: string, value: unknown) => ({ example: { summary, value } });

const badRequest: ResponseSpec = {
  description: "a bad value or parameter",
  content: { [JSON_TYPE]: json(SCHEMAS.Error) },
};

// --- passive DNS (CIRCL) ---

const pdnsValue = parameters(
  "path",
  s.pdnsValuePath,
  {
    value:
      "A domain name or an address (IPv4, IPv6 in any valid spelling), or beyond CIRCL: `*.example.com` " +
      "(every name under the domain), `www.example.*` (names starting with those labels), a block " +
      "`192.0.2.0/24` or `192.0.2.0,24` (dnsdbq) or `2001:db8::/48`, or a range `192.0.2.10-192.0.2.99`. " +
      "Sent raw or percent-encoded (`%2A` for `*`; a block's `/` may stay raw). Non-admins may ask for " +
      "blocks up to --pdns-max-cidr4 (default /16) and --pdns-max-cidr6 (/48) wide.",
  },
  { value: "www.example.lu" },
);

const pdnsQuery = parameters("query", pdnsQueryParametersSchema, {
  rrtype:
    "One rrtype (`MX`, `TYPE15` or `15`), like dribble-filter-rrtype; `ANY` is every type but DNSSEC's, " +
    "`ANY-DNSSEC` only those.",
  limit: "At most this many records, with an x-dribble-cursor to the rest.",
  time_first_before: "Time fence: first seen before (epoch seconds, or negative: seconds before now).",
  time_first_after: "Time fence: first seen after (`-86400`: first seen in the last day).",
  time_last_before: "Time fence: last seen before.",
  time_last_after: "Time fence: last seen after (`-86400`: seen in the last day).",
});

const dribble = parameters("header", s.dribbleHeaders, {
  "dribble-filter-rrtype": "Only this rrtype (CIRCL).",
  "dribble-paginate-count": "Pages of this many records (1 to --max-page-size); PyPDNS sends 50.",
  "dribble-paginate-cursor":
    "The x-dribble-cursor of the previous page: a positive decimal integer (it can exceed 2^53).",
  "dribble-disable-active-query": "Accepted and ignored: this server never resolves live.",
});

const cofAnswer = (summary: string, body: string, cursorHeader: boolean): ResponseSpec => ({
  description:
    "COF NDJSON: one `\\n`-ended line per record (the schema is a line's); nothing found is an empty body.",
  headers: cursorHeader ? ["x-dribble-cursor"] : [],
  content: { [NDJSON]: { schema: SCHEMAS.CofRecord, examples: one(summary, body) } },
});

const pdnsOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/pdns/query/{value}",
    operationId: "pdnsQuery",
    summary: "Passive DNS records of a name, an address, a wildcard or a block (CIRCL)",
    description:
      "A name returns the records it owns and the records whose rdata is that name (CNAME, NS, MX, PTR, " +
      "SRV, DNAME targets); an address returns the A/AAAA records pointing to it. Without " +
      "dribble-paginate-count (or limit, or a results_max) the whole answer streams; with it, one page " +
      "and an x-dribble-cursor while more remain (absent on the last page). Paging is stable while " +
      "ingestion goes on.",
    tag: "Passive DNS (CIRCL)",
    parameters: [pdnsValue, pdnsQuery, dribble],
    responses: {
      200: cofAnswer("GET /pdns/query/www.example.lu, on the sample data", example.PDNS_QUERY, true),
      400: badRequest,
    },
  },
  {
    method: "get",
    path: "/pdns/rcodes/{name}",
    operationId: "pdnsRcodes",
    summary: "Error answers seen for a name (NXDOMAIN, SERVFAIL, REFUSED...)",
    description:
      "Not COF records, so /pdns/query never mixes them in. NDJSON, one line per rrtype and rcode.",
    tag: "Passive DNS (CIRCL)",
    parameters: [
      parameters("path", s.namePath, { name: "A domain name." }, { name: "doesnotexist.example.lu" }),
    ],
    responses: {
      200: {
        description: "NDJSON, one line per (rrtype, rcode) seen",
        content: {
          [NDJSON]: {
            schema: SCHEMAS.RcodeLine,
            examples: one("GET /pdns/rcodes/doesnotexist.example.lu", example.RCODES),
          },
        },
      },
      400: badRequest,
    },
  },
  {
    method: "post",
    path: "/pdns/bulk",
    operationId: "pdnsBulk",
    summary: "Many passive DNS queries in one request",
    description:
      "Up to --bulk-max-values (default 10,000) values, as a JSON array or as NDJSON (any Content-Type), " +
      "each a value or an object with its own rrtype, time fences and limit. The answer streams NDJSON " +
      'value by value in the order given: each record as a COF object with a `"query"` field, then the ' +
      "value's summary. A bad value gets an `error` in its summary and the others go on. Each value " +
      "counts as one query against the caller's quotas, all at once: a request the quota cannot cover " +
      "whole is 429 and costs nothing.",
    tag: "Passive DNS (CIRCL)",
    requestBody: {
      description: "A JSON array of values, or one value per line (NDJSON).",
      required: true,
      content: {
        [JSON_TYPE]: {
          schema: { type: "array", items: { $ref: "#/components/schemas/BulkItem" } },
          examples: one("a name, and a block with its own rrtype and limit", example.BULK_REQUEST),
        },
        [NDJSON]: {
          schema: SCHEMAS.BulkItem,
          examples: one(
            "the same as NDJSON",
            example.BULK_REQUEST.map((item) => `${JSON.stringify(item)}\n`).join(""),
          ),
        },
      },
    },
    responses: {
      200: {
        description: "NDJSON: records tagged with their query, and a summary line after each value's records",
        content: {
          [NDJSON]: {
            schema: SCHEMAS.BulkLine,
            examples: one("the answer to the example", example.BULK_ANSWER),
          },
        },
      },
      400: badRequest,
      413: { description: "the body is over 8 MiB", content: { [JSON_TYPE]: json(SCHEMAS.Error) } },
    },
  },
];

// --- the D4 server's routes ---

/** The value both D4 routes take at the end of their path. */
const d4ValueParameter = parameters(
  "path",
  s.pdnsValuePath,
  { value: "A domain name or an address." },
  { value: "www.example.lu" },
);

const d4Operations: OperationSpec[] = [
  {
    method: "get",
    path: "/query/{value}",
    operationId: "d4Query",
    summary: "A name's records; for an address, every record of every name pointing to it (D4)",
    description: "The D4 passive DNS server's route, without its limits (every rrtype, no 200-member cliff).",
    tag: "Passive DNS (D4 server)",
    parameters: [d4ValueParameter],
    responses: {
      200: cofAnswer("GET /query/www.example.lu", example.D4_QUERY, false),
      400: badRequest,
    },
  },
  {
    method: "get",
    path: "/fquery/{value}",
    operationId: "d4Fquery",
    summary: "The records whose rdata is the value (D4)",
    description: "A CNAME/NS/MX target or an address: the records of the names pointing to it.",
    tag: "Passive DNS (D4 server)",
    parameters: [d4ValueParameter],
    responses: {
      200: cofAnswer("GET /fquery/www.example.lu", example.D4_FQUERY, false),
      400: badRequest,
    },
  },
  {
    method: "get",
    path: "/info",
    operationId: "d4Info",
    summary: "Lines ingested, in all and per sensor (D4)",
    description: "For an admin also `ingest`: the figures of the D4 queue consumers and of the D4 endpoint.",
    tag: "Passive DNS (D4 server)",
    responses: {
      200: {
        description: "the server's figures",
        content: { [JSON_TYPE]: json(SCHEMAS.Info, one("sample", example.INFO)) },
      },
    },
  },
];

// --- DNSDB v2 ---

const dnsdbParameterDescriptions = {
  limit: "Results at most (default 10,000; `0` = the caller's maximum, results_max or 1,000,000).",
  offset: "Results of the stable order skipped first (lookup only; above 1,000,000 is 416).",
  time_first_before: "Time fence: epoch seconds, or negative seconds before now.",
  time_first_after: "Time fence (`-86400`: first seen in the last day).",
  time_last_before: "Time fence.",
  time_last_after: "Time fence (`-86400`: seen in the last day).",
  aggr: "Accepted and ignored: records are always aggregated.",
  humantime: "Times as RFC 3339 strings instead of epoch seconds.",
  max_count: "Summarize: stop once the summed count reaches this.",
  swclient: "Informational (dnsdbq sends it).",
  version: "Informational (dnsdbq sends it).",
  id: "Informational.",
  cursor: "This server's own: resume exactly after the last object of a `limited` answer (its cursor).",
} as const;

const { max_count: _lookupOnly, ...lookupDescriptions } = dnsdbParameterDescriptions;
const { offset: _summarizeOnly, ...summarizeDescriptions } = dnsdbParameterDescriptions;
const dnsdbQuery = {
  lookup: parameters("query", dnsdbParamsSchema.omit({ max_count: true }), lookupDescriptions, {}, "dnsdb"),
  summarize: parameters(
    "query",
    dnsdbParamsSchema.omit({ offset: true }),
    summarizeDescriptions,
    {},
    "dnsdb",
  ),
};

const DNSDB_SHAPES = [
  {
    path: "rrset/name/{name}",
    id: "RrsetName",
    param: "name",
    value: s.dnsdbPathValues.name,
    what: "records owned by the name",
    description: "A name; `*.example.com` and `www.example.*` as on /pdns/query.",
    example: "www.example.lu",
  },
  {
    path: "rrset/raw/{hex}",
    id: "RrsetRaw",
    param: "hex",
    value: s.dnsdbPathValues.hex,
    what: "records owned by the name given in DNS wire format",
    description: "The name in DNS wire format, in hex.",
    example: "03777777076578616d706c65026c7500",
  },
  {
    path: "rdata/name/{name}",
    id: "RdataName",
    param: "name",
    value: s.dnsdbPathValues.name,
    what: "records whose rdata is the name (CNAME, NS, MX, PTR, SRV, DNAME targets)",
    description: "A name; wildcards as for rrset.",
    example: "www.example.lu",
  },
  {
    path: "rdata/ip/{address}",
    id: "RdataIp",
    param: "address",
    value: s.dnsdbPathValues.address,
    what: "A/AAAA records by address, block or range",
    description:
      "An address, `<ADDR>,<PFXLEN>` or `<ADDR>-<ADDR>` (per-role width: --pdns-max-cidr4/6 for non-admins).",
    example: "192.0.2.11",
  },
  {
    path: "rdata/raw/{hex}",
    id: "RdataRaw",
    param: "hex",
    value: s.dnsdbPathValues.hex,
    what: "records by rdata in wire format",
    description:
      "Rdata in hex: an address (4 or 16 bytes) or a name (CNAME, NS, PTR, DNAME; MX and SRV with their " +
      "fixed fields); other kinds are 400.",
    example: "c000020b",
  },
] as const;

const plainError = (description: string, message: string): ResponseSpec => ({
  description,
  content: { [TEXT]: plainText(message) },
});

/** Responses shared by many operations, in components.responses; operations name them. */
export const SHARED_RESPONSES: Record<string, ResponseSpec> = {
  DnsdbLookup: {
    description:
      "SAF NDJSON: begin, one obj per record, then succeeded, limited or failed (the schema is a line's)",
    headers: RATE_LIMIT_HEADERS,
    content: {
      [NDJSON]: {
        schema: SCHEMAS.SafLine,
        examples: {
          succeeded: {
            summary: "GET /dnsdb/v2/lookup/rrset/name/www.example.lu",
            value: example.DNSDB_LOOKUP,
          },
          limited: {
            summary: "GET /dnsdb/v2/lookup/rrset/name/*.example.lu?limit=2",
            value: example.DNSDB_LOOKUP_LIMITED,
          },
          failed: { summary: "an answer that failed after it began", value: example.DNSDB_FAILED },
        },
      },
    },
  },
  DnsdbSummarize: {
    description: "SAF NDJSON: begin, one obj with the totals, then a terminator (the schema is a line's)",
    headers: RATE_LIMIT_HEADERS,
    content: {
      [NDJSON]: {
        schema: SCHEMAS.SafLine,
        examples: one("GET /dnsdb/v2/summarize/rrset/name/www.example.lu", example.DNSDB_SUMMARIZE),
      },
    },
  },
  DnsdbBadRequest: plainError(
    "a bad path value or parameter: `Error: <message>`",
    "Error: parameter limit must be a non-negative integer\n",
  ),
  DnsdbNotFound: plainError("not a DNSDB v2 path", "Error: no such DNSDB API path\n"),
  DnsdbNotAcceptable: plainError(
    "an Accept that allows neither NDJSON nor JSON",
    "Error: this API answers application/x-ndjson (or application/json) only\n",
  ),
  DnsdbOffsetTooLarge: plainError(
    "an offset above the maximum",
    "Error: offset 2000000 is above the maximum of 1000000\n",
  ),
};

function dnsdbOperations(): OperationSpec[] {
  const operations: OperationSpec[] = [];
  for (const verb of ["lookup", "summarize"] as const) {
    for (const shape of DNSDB_SHAPES) {
      for (const typed of [false, true]) {
        const pathParams = z.object({
          [shape.param]: shape.value,
          ...(typed ? { rrtype: s.dnsdbPathValues.rrtype } : {}),
        });
        const descriptions: Record<string, string> = { [shape.param]: shape.description };
        if (typed) {
          descriptions.rrtype =
            "A mnemonic, `TYPE123`, `ANY` (every type but DNSSEC's) or `ANY-DNSSEC`" +
            (shape.id === "RdataIp" ? "; here only `A`, `AAAA` or `ANY`" : "") +
            (shape.id.startsWith("Rrset")
              ? ". A bailiwick segment after it is 400: the passivedns stream does not carry it."
              : ".");
        }
        const examples: Record<string, unknown> = {
          [shape.param]: shape.example,
          ...(typed ? { rrtype: "A" } : {}),
        };
        // Keys built at run time: the compiler cannot check them, parameterObjects throws on a field
        // without a description.
        const described = parameters("path", pathParams, descriptions as never, examples as never);
        const responses: Record<string, string> = {
          200: verb === "lookup" ? "DnsdbLookup" : "DnsdbSummarize",
          400: "DnsdbBadRequest",
          404: "DnsdbNotFound",
          415: "DnsdbNotAcceptable",
          ...(verb === "lookup" ? { 416: "DnsdbOffsetTooLarge" } : {}),
        };
        operations.push({
          method: "get",
          path: `/dnsdb/v2/${verb}/${shape.path}${typed ? "/{rrtype}" : ""}`,
          operationId: `dnsdb${verb === "lookup" ? "Lookup" : "Summarize"}${shape.id}${typed ? "Type" : ""}`,
          summary: `${verb === "lookup" ? "Lookup" : "Summarize"}: ${shape.what}${typed ? ", of one type" : ""}`,
          description:
            (verb === "lookup"
              ? "Records in SAF framing, in a stable order; a `limited` terminator carries the cursor of the last object sent."
              : "One `obj` with count, num_results, time_first and time_last.") +
            " Each path segment is split first, then percent-decoded (`%2A` for `*`).",
          tag: "DNSDB v2",
          parameters: [described, dnsdbQuery[verb]],
          responses,
        });
      }
    }
  }
  operations.push(
    {
      method: "get",
      path: "/dnsdb/v2/rate_limit",
      operationId: "dnsdbRateLimit",
      summary: "The caller's own quota standing, in DNSDB's shape",
      description:
        'Integers, `"unlimited"` / `"n/a"` where no limit applies; burst_size and burst_window only when ' +
        "a burst limit is set, and then integers (dnsdbq asserts it). Not counted against the quota.",
      tag: "DNSDB v2",
      responses: {
        200: {
          description: "the standing",
          headers: RATE_LIMIT_HEADERS,
          content: {
            [JSON_TYPE]: json(
              SCHEMAS.RateLimit,
              one("a user without limits", {
                rate: {
                  reset: "n/a",
                  expires: "n/a",
                  limit: "unlimited",
                  remaining: "n/a",
                  results_max: "n/a",
                  offset_max: "n/a",
                },
              }),
            ),
          },
        },
      },
    },
    {
      method: "get",
      path: "/dnsdb/v2/ping",
      operationId: "dnsdbPing",
      summary: "Whether the server is up",
      description: "Reads no data and no account; a credential sent with it is ignored.",
      tag: "DNSDB v2",
      responses: {
        200: {
          description: "up",
          content: {
            [JSON_TYPE]: {
              schema: z.strictObject({ ping: z.literal("ok") }),
              examples: one("up", { ping: "ok" }),
            },
          },
        },
        415: "DnsdbNotAcceptable",
      },
    },
  );
  return operations;
}

// --- passive SSL ---

const circlPlain400 = (message: string): ResponseSpec => ({
  description: "malformed input, as CIRCL answers it: plain text",
  content: { [TEXT]: plainText(message) },
});

const ipDescriptions = { ip: "An IPv4 or IPv6 address (CIRCL: IPv4 only)." };
const blockDescriptions = {
  ...ipDescriptions,
  prefixlen: "A prefix length: blocks up to --pssl-max-cidr (default /23, 512 addresses; as many for IPv6).",
};
const fingerprintParameter = parameters(
  "path",
  s.fingerprintPath,
  { fingerprint: "A certificate SHA-1, or SHA-256, in hex (colons allowed)." },
  { fingerprint: "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8" },
);

function psslQueryOperations(prefix: "/v2pssl" | "/pssl"): OperationSpec[] {
  const legacy = prefix === "/pssl";
  const base = {
    method: "get" as const,
    tag: "Passive SSL (CIRCL)",
    description:
      'Each address with data: `{"<ip>": {"certificates": [sha1...], "subjects": {"<sha1>": {"values": ' +
      "[subject]}}}}`; `{}` when none." +
      (legacy ? " The legacy v1 prefix of CIRCL's API (query only)." : ""),
  };
  const responses = {
    200: {
      description: "certificates seen per address",
      content: {
        [JSON_TYPE]: json(
          SCHEMAS.PsslQuery,
          one("127.0.0.1, shortened to one certificate", example.PSSL_QUERY),
        ),
      },
    },
    400: circlPlain400("Maximum CIDR block size reached >/23"),
  };
  return [
    {
      ...base,
      path: `${prefix}/query/{ip}`,
      operationId: legacy ? "psslLegacyQuery" : "psslQuery",
      summary: `Certificates seen at an address${legacy ? " (v1 prefix)" : ""}`,
      parameters: [parameters("path", s.ipPath, ipDescriptions, { ip: "127.0.0.1" })],
      responses,
    },
    {
      ...base,
      path: `${prefix}/query/{ip}/{prefixlen}`,
      operationId: legacy ? "psslLegacyQueryBlock" : "psslQueryBlock",
      summary: `Certificates seen in an address block${legacy ? " (v1 prefix)" : ""}`,
      parameters: [
        parameters("path", s.ipBlockPath, blockDescriptions, { ip: "192.0.2.0", prefixlen: "24" }),
      ],
      responses,
    },
  ];
}

const psslOperations: OperationSpec[] = [
  ...psslQueryOperations("/v2pssl"),
  {
    method: "get",
    path: "/v2pssl/cquery/{fingerprint}",
    operationId: "psslCquery",
    summary: "The addresses a certificate was seen at",
    description: "An unknown certificate is still 200, with `hits: 0`.",
    tag: "Passive SSL (CIRCL)",
    parameters: [fingerprintParameter],
    responses: {
      200: {
        description: "the addresses",
        content: { [JSON_TYPE]: json(SCHEMAS.PsslCquery, one("a sample certificate", example.PSSL_CQUERY)) },
      },
      400: circlPlain400("Incorrect format of the certificate fingerprint (expected SHA1 in hex format)"),
    },
  },
  {
    method: "get",
    path: "/v2pssl/cfetch/{fingerprint}",
    operationId: "psslCfetch",
    summary: "A certificate: PEM and parsed fields, as CIRCL prints them",
    description:
      "Subject and issuer in OpenSSL's compat one-line form. A certificate known only by its fingerprint " +
      "answers its subject, issuer and dates with an empty `pem`.",
    tag: "Passive SSL (CIRCL)",
    parameters: [fingerprintParameter],
    responses: {
      200: {
        description: "the certificate",
        content: {
          [JSON_TYPE]: json(
            SCHEMAS.PsslCfetch,
            one("a sample certificate, PEMs shortened", example.PSSL_CFETCH),
          ),
        },
      },
      400: circlPlain400("Not existing certificate"),
    },
  },
  ...psslQueryOperations("/pssl"),
  {
    method: "get",
    path: "/v2pssl/sightings/{ip}",
    operationId: "psslSightings",
    summary: "Every (certificate, port) seen at an address, with first/last seen and count",
    description: "Beyond CIRCL.",
    tag: "Passive SSL (extended)",
    parameters: [parameters("path", s.ipPath, ipDescriptions, { ip: "127.0.0.1" })],
    responses: {
      200: { description: "per address", content: { [JSON_TYPE]: json(SCHEMAS.PsslSightings) } },
      400: badRequest,
    },
  },
  {
    method: "get",
    path: "/v2pssl/sightings/{ip}/{prefixlen}",
    operationId: "psslSightingsBlock",
    summary: "The same for every address of a block",
    description: "Beyond CIRCL; blocks up to --pssl-max-cidr.",
    tag: "Passive SSL (extended)",
    parameters: [parameters("path", s.ipBlockPath, blockDescriptions, { ip: "127.0.0.0", prefixlen: "30" })],
    responses: {
      200: { description: "per address", content: { [JSON_TYPE]: json(SCHEMAS.PsslSightings) } },
      400: badRequest,
    },
  },
  {
    method: "get",
    path: "/v2pssl/csightings/{fingerprint}",
    operationId: "psslCsightings",
    summary: "Every (address, port) a certificate was seen at",
    description: "Beyond CIRCL; lists capped at 10,000 with `truncated`.",
    tag: "Passive SSL (extended)",
    parameters: [fingerprintParameter],
    responses: {
      200: {
        description: "the sightings",
        content: {
          [JSON_TYPE]: json(SCHEMAS.PsslCsightings, one("a sample certificate", example.PSSL_CSIGHTINGS)),
        },
      },
      400: badRequest,
    },
  },
  ...(["ja3", "ja3s"] as const).map(
    (kind): OperationSpec => ({
      method: "get",
      path: `/v2pssl/${kind}/{digest}`,
      operationId: kind === "ja3" ? "psslJa3" : "psslJa3s",
      summary: `A ${kind.toUpperCase()} fingerprint: its string and where it was seen`,
      description: "Beyond CIRCL; lists capped at 10,000 with `truncated`.",
      tag: "Passive SSL (extended)",
      parameters: [
        parameters(
          "path",
          s.md5Path,
          { digest: `The ${kind.toUpperCase()} MD5 digest, in hex.` },
          {
            digest: kind === "ja3" ? "871a754af286dfb70c1b53c6887c62e0" : "ec74a5c51106f0419184d0dd08fb05bc",
          },
        ),
      ],
      responses: {
        200: {
          description: "the sightings",
          content: {
            [JSON_TYPE]:
              kind === "ja3"
                ? json(SCHEMAS.Ja3Sightings)
                : json(SCHEMAS.Ja3sSightings, one("a sample JA3S", example.PSSL_JA3S)),
          },
        },
        400: badRequest,
      },
    }),
  ),
  {
    method: "get",
    path: "/v2pssl/csearch/{name}",
    operationId: "psslCsearch",
    summary: "Certificates whose subject CN or SAN is a name, or any name under a domain",
    description:
      "Beyond CIRCL; `*.<domain>` for every name under it; lists capped at 10,000 with `truncated`.",
    tag: "Passive SSL (extended)",
    parameters: [
      parameters("path", s.namePath, { name: "A domain name, or `*.<domain>`." }, { name: "www.example.lu" }),
    ],
    responses: {
      200: {
        description: "the certificates",
        content: { [JSON_TYPE]: json(SCHEMAS.CertificateSearch, one("a sample name", example.PSSL_CSEARCH)) },
      },
      400: badRequest,
    },
  },
];

// --- ingest ---

const ingestBody = (what: string, mediaType: string, sample: string) => ({
  description:
    `${what}, streamed (never held whole); gzip is recognised by Content-Encoding or by its first bytes. ` +
    "A body over --ingest-max-bytes (default 1 GiB, as sent) is 413.",
  required: true,
  content: {
    [mediaType]: { schema: z.string(), examples: one("one line of the samples", sample) },
    "application/gzip": { schema: { type: "string", contentEncoding: "binary" } },
  },
});

const ingestHeaders = parameters("header", s.ingestHeaders, {
  "Content-Encoding": "gzip or identity (gzip is also recognised without it).",
  "X-Sensor-Id": "Admins only: the sensor id to record (default: the caller's user name).",
});

const ingestResponses = {
  200: {
    description: "sent once every batch is committed",
    content: { [JSON_TYPE]: json(SCHEMAS.IngestSummary) },
  },
  400: badRequest,
  413: { description: "the body is over --ingest-max-bytes", content: { [JSON_TYPE]: json(SCHEMAS.Error) } },
  415: {
    description: "a Content-Encoding other than gzip or identity",
    content: { [JSON_TYPE]: json(SCHEMAS.Error) },
  },
  507: {
    description:
      "`store_full`: the store has no room left (disk full, Redis maxmemory); the batches committed " +
      "before it stay, the rest of the body was not written",
    content: { [JSON_TYPE]: json(SCHEMAS.Error) },
  },
} satisfies Record<string, ResponseSpec>;

const ingestOperations: OperationSpec[] = [
  {
    method: "post",
    path: "/ingest/passivedns",
    operationId: "ingestPassivedns",
    summary: "Ingest passivedns sensor output",
    description:
      "Records carry the caller's user name as sensor id; an admin may name another with X-Sensor-Id.",
    tag: "Ingest",
    parameters: [
      parameters("query", s.passivednsIngestQuery, {
        format: "`json` for the sensor's -j mode.",
        delimiter: "The sensor's -d delimiter.",
        fields: "The sensor's -f field letters.",
      }),
      ingestHeaders,
    ],
    requestBody: ingestBody("passivedns lines", TEXT, example.INGEST_PASSIVEDNS),
    responses: ingestResponses,
  },
  {
    method: "post",
    path: "/ingest/ja3-jl",
    operationId: "ingestJa3Jl",
    summary: "Ingest the D4 TLS sensor's ja3-jl sessions",
    description: "One JSON session per line.",
    tag: "Ingest",
    parameters: [ingestHeaders],
    requestBody: ingestBody("ja3-jl NDJSON", NDJSON, example.INGEST_JA3_JL),
    responses: ingestResponses,
  },
  {
    method: "post",
    path: "/ingest/eve",
    operationId: "ingestEve",
    summary: "Ingest Suricata EVE JSON (tls events)",
    description: "Events of other types are counted as skipped.",
    tag: "Ingest",
    parameters: [ingestHeaders],
    requestBody: ingestBody("EVE NDJSON", NDJSON, example.INGEST_EVE),
    responses: ingestResponses,
  },
];

// --- authentication ---

const authOperations: OperationSpec[] = [
  {
    method: "post",
    path: "/auth/token",
    operationId: "authToken",
    summary: "Exchange an API token for a short-lived JWT",
    description:
      "An EdDSA-signed JWT (default lifetime --jwt-ttl, at most --jwt-max-ttl), usable as " +
      "`Authorization: Bearer`. It never outlives the API token it came from, and revoking that token " +
      "stops it at once. A JWT is not exchanged for another (400).",
    tag: "Authentication",
    requestBody: {
      description: "Optional: the lifetime wanted (seconds, or `10m`, `1h`...).",
      required: false,
      content: { [JSON_TYPE]: json(SCHEMAS.TokenExchange, one("ten minutes", { expires_in: 600 })) },
    },
    responses: {
      200: { description: "the JWT", content: { [JSON_TYPE]: json(SCHEMAS.Jwt) } },
      400: badRequest,
    },
  },
  {
    method: "get",
    path: "/auth/me",
    operationId: "authMe",
    summary: "Who the credential is: user, role, how it authenticated, when it expires",
    description: "The web pages ask after sign-in, to know which pages to show.",
    tag: "Authentication",
    responses: {
      200: {
        description: "the caller",
        content: {
          [JSON_TYPE]: json(
            SCHEMAS.WhoAmI,
            one("an analyst", { user: "alice", role: "analyst", method: "jwt", expires_at: null }),
          ),
        },
      },
    },
  },
  {
    method: "get",
    path: "/auth/jwks.json",
    operationId: "authJwks",
    summary: "The public keys that check this server's JWTs (JWKS)",
    description:
      "Kids are RFC 7638 thumbprints; keys of a rotation stay while JWTs signed by them may be valid.",
    tag: "Authentication",
    responses: {
      200: {
        description: "the JWKS",
        headers: ["Cache-Control"],
        content: { [JSON_TYPE]: json(SCHEMAS.Jwks) },
      },
    },
  },
];

// --- admin ---

const userPath = parameters("path", s.adminUserPath, { name: "A user name." }, { name: "alice" });
const noSuchUser: ResponseSpec = {
  description: "no such user",
  content: { [JSON_TYPE]: json(SCHEMAS.Error) },
};
const userAnswer = (description: string): ResponseSpec => ({
  description,
  content: { [JSON_TYPE]: json(SCHEMAS.User) },
});
const quotaAnswer: ResponseSpec = {
  description: "the user's own settings and the limits in force",
  content: {
    [JSON_TYPE]: {
      schema: z.strictObject({ quota: SCHEMAS.UserQuota.schema, limits: SCHEMAS.Limits.schema }),
    },
  },
};
const conflict = (what: string): ResponseSpec => ({
  description: what,
  content: { [JSON_TYPE]: json(SCHEMAS.Error) },
});

const adminOperations: OperationSpec[] = [
  {
    method: "post",
    path: "/admin/users",
    operationId: "adminCreateUser",
    summary: "Create a user",
    description: "CLI: `pdns-pssl users add <name> --role <role>`.",
    tag: "Admin",
    requestBody: {
      description: "The user (any Content-Type: `curl -d` works).",
      required: true,
      content: { [JSON_TYPE]: json(SCHEMAS.NewUser, one("an analyst", { name: "alice", role: "analyst" })) },
    },
    responses: { 201: userAnswer("the user"), 400: badRequest, 409: conflict("the user exists") },
  },
  {
    method: "get",
    path: "/admin/users",
    operationId: "adminListUsers",
    summary: "List users, with quota settings and the limits in force",
    description: "CLI: `pdns-pssl users list`.",
    tag: "Admin",
    responses: {
      200: {
        description: "the users",
        content: { [JSON_TYPE]: { schema: z.strictObject({ users: z.array(s.userSchema) }) } },
      },
    },
  },
  {
    method: "get",
    path: "/admin/users/{name}",
    operationId: "adminGetUser",
    summary: "One user",
    description: "CLI: `pdns-pssl users show <name>`.",
    tag: "Admin",
    parameters: [userPath],
    responses: { 200: userAnswer("the user"), 404: noSuchUser },
  },
  {
    method: "patch",
    path: "/admin/users/{name}",
    operationId: "adminUpdateUser",
    summary: "Change a user's role, disable or enable them",
    description: "Takes effect on the very next request. CLI: `pdns-pssl users set`.",
    tag: "Admin",
    parameters: [userPath],
    requestBody: {
      description: "role, disabled or both.",
      required: true,
      content: { [JSON_TYPE]: json(SCHEMAS.UserChange, one("disable", { disabled: true })) },
    },
    responses: {
      200: userAnswer("the user"),
      400: badRequest,
      404: noSuchUser,
      409: conflict("that would leave no enabled admin"),
    },
  },
  {
    method: "delete",
    path: "/admin/users/{name}",
    operationId: "adminDeleteUser",
    summary: "Delete a user and their tokens",
    description: "CLI: `pdns-pssl users delete <name>`.",
    tag: "Admin",
    parameters: [userPath],
    responses: {
      204: { description: "deleted" },
      404: noSuchUser,
      409: conflict("that would leave no enabled admin"),
    },
  },
  {
    method: "post",
    path: "/admin/users/{name}/tokens",
    operationId: "adminCreateToken",
    summary: "Create an API token (shown only in this answer)",
    description:
      "`expires_in`: seconds, or `90d`, `12h`, `2w`, at most 10 years. CLI: `pdns-pssl tokens create`.",
    tag: "Admin",
    parameters: [userPath],
    requestBody: {
      description: "A label and an expiry, both optional.",
      required: false,
      content: {
        [JSON_TYPE]: json(SCHEMAS.NewToken, one("a laptop's token", { label: "laptop", expires_in: "90d" })),
      },
    },
    responses: {
      201: {
        description: "the token, with its secret",
        content: { [JSON_TYPE]: json(SCHEMAS.CreatedToken) },
      },
      400: badRequest,
      404: noSuchUser,
    },
  },
  {
    method: "get",
    path: "/admin/users/{name}/tokens",
    operationId: "adminListTokens",
    summary: "A user's tokens (never a secret)",
    description: "CLI: `pdns-pssl tokens list <user>`.",
    tag: "Admin",
    parameters: [userPath],
    responses: {
      200: {
        description: "the tokens",
        content: { [JSON_TYPE]: { schema: z.strictObject({ tokens: z.array(s.tokenInfoSchema) }) } },
      },
      404: noSuchUser,
    },
  },
  {
    method: "delete",
    path: "/admin/users/{name}/tokens/{id}",
    operationId: "adminRevokeToken",
    summary: "Revoke a token",
    description:
      "Takes effect on the very next request, JWTs issued for it included. CLI: `pdns-pssl tokens revoke`.",
    tag: "Admin",
    parameters: [
      parameters(
        "path",
        s.adminTokenPath,
        { name: "A user name.", id: "The token's id." },
        { name: "alice" },
      ),
    ],
    responses: { 204: { description: "revoked" }, 404: conflict("no such user or token") },
  },
  {
    method: "get",
    path: "/admin/users/{name}/quota",
    operationId: "adminGetQuota",
    summary: "A user's quota settings and the limits in force",
    description: "CLI: `pdns-pssl quotas show <user>`.",
    tag: "Admin",
    parameters: [userPath],
    responses: { 200: quotaAnswer, 404: noSuchUser },
  },
  {
    method: "put",
    path: "/admin/users/{name}/quota",
    operationId: "adminSetQuota",
    summary: "Replace a user's quota settings",
    description: "A number; `null` = unlimited; absent = the server default. CLI: `pdns-pssl quotas set`.",
    tag: "Admin",
    parameters: [userPath],
    requestBody: {
      description: "The settings.",
      required: true,
      content: {
        [JSON_TYPE]: json(
          SCHEMAS.QuotaSettings,
          one("10,000 a day, 100 a minute", { daily: 10000, burst_size: 100, burst_window: 60 }),
        ),
      },
    },
    responses: { 200: quotaAnswer, 400: badRequest, 404: noSuchUser },
  },
  {
    method: "get",
    path: "/admin/audit",
    operationId: "adminAudit",
    summary: "Audit entries, newest first",
    description: "`cursor` is null on the last page. CLI: `pdns-pssl audit`.",
    tag: "Admin",
    parameters: [
      parameters("query", auditQuerySchema, {
        user: "Only this user's entries.",
        since: "From this time: epoch seconds, an RFC 3339 time, or negative seconds before now.",
        until: "Up to this time (the same forms).",
        limit: "Entries per page.",
        cursor: "The cursor of the previous page.",
      }),
    ],
    responses: {
      200: {
        description: "a page of entries",
        content: {
          [JSON_TYPE]: {
            schema: z.strictObject({ entries: z.array(s.auditEntrySchema), cursor: z.string().nullable() }),
          },
        },
      },
      400: badRequest,
    },
  },
  {
    method: "post",
    path: "/admin/jwt/rotate",
    operationId: "adminRotateJwtKey",
    summary: "Sign new JWTs with a new key",
    description: "JWTs signed by the old key stay valid until they expire. CLI: `pdns-pssl jwt rotate`.",
    tag: "Admin",
    responses: {
      200: {
        description: "the new key's id",
        content: { [JSON_TYPE]: { schema: z.strictObject({ kid: z.string() }) } },
      },
    },
  },
];

const noSecretKey: ResponseSpec = {
  description: "the server has no secret key (PDNS_PSSL_SECRET_KEY) to protect sensor keys with",
  content: { [JSON_TYPE]: json(SCHEMAS.Error) },
};
const sensorPath = parameters("path", s.sensorPath, { uuid: "The sensor's uuid." });
const noSuchSensor: ResponseSpec = {
  description: "no such sensor",
  content: { [JSON_TYPE]: json(SCHEMAS.Error) },
};

const sensorOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/admin/sensors",
    operationId: "adminListSensors",
    summary: "List D4 sensors (status, first/last seen, bytes, records)",
    description: "CLI: `pdns-pssl sensors list`.",
    tag: "Admin: D4 sensors",
    responses: {
      200: {
        description: "the sensors",
        content: { [JSON_TYPE]: { schema: z.strictObject({ sensors: z.array(s.sensorSchema) }) } },
      },
      503: noSecretKey,
    },
  },
  {
    method: "post",
    path: "/admin/sensors",
    operationId: "adminCreateSensor",
    summary: "Create an approved sensor and its key (shown once)",
    description: "CLI: `pdns-pssl sensors add`.",
    tag: "Admin: D4 sensors",
    requestBody: {
      description: "The sensor's type: `8` (passivedns) or `ja3-jl`.",
      required: true,
      content: { [JSON_TYPE]: json(SCHEMAS.NewSensor, one("a passivedns sensor", { type: "8" })) },
    },
    responses: {
      201: {
        description: "the sensor and its key",
        content: {
          [JSON_TYPE]: {
            schema: z.strictObject({ uuid: z.string(), key: z.string(), type: z.enum(["8", "ja3-jl"]) }),
          },
        },
      },
      400: badRequest,
      503: noSecretKey,
    },
  },
  {
    method: "post",
    path: "/admin/sensors/{uuid}/approve",
    operationId: "adminApproveSensor",
    summary: "Approve a pending sensor (its key is shown once)",
    description: "CLI: `pdns-pssl sensors approve <uuid>`.",
    tag: "Admin: D4 sensors",
    parameters: [sensorPath],
    requestBody: {
      description: "Optionally the sensor's type.",
      required: false,
      content: { [JSON_TYPE]: json(SCHEMAS.SensorApproval) },
    },
    responses: {
      200: {
        description: "the key",
        content: { [JSON_TYPE]: { schema: z.strictObject({ uuid: z.string(), key: z.string() }) } },
      },
      400: badRequest,
      404: noSuchSensor,
      503: noSecretKey,
    },
  },
  {
    method: "post",
    path: "/admin/sensors/{uuid}/revoke",
    operationId: "adminRevokeSensor",
    summary: "Revoke a sensor",
    description: "Its sessions are refused from then on. CLI: `pdns-pssl sensors revoke <uuid>`.",
    tag: "Admin: D4 sensors",
    parameters: [sensorPath],
    responses: {
      200: { description: "the sensor", content: { [JSON_TYPE]: json(SCHEMAS.Sensor) } },
      400: badRequest,
      404: noSuchSensor,
      503: noSecretKey,
    },
  },
  {
    method: "delete",
    path: "/admin/sensors/{uuid}",
    operationId: "adminDeleteSensor",
    summary: "Delete a sensor",
    description: "CLI: `pdns-pssl sensors delete <uuid>`.",
    tag: "Admin: D4 sensors",
    parameters: [sensorPath],
    responses: { 204: { description: "deleted" }, 400: badRequest, 404: noSuchSensor, 503: noSecretKey },
  },
];

// --- operations and documentation ---

const opsNote =
  " On the main listener these need an admin's credential, unless the server runs with --ops-public; " +
  "on the --ops-listen listener they need none.";

const opsOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/healthz",
    operationId: "healthz",
    summary: "Liveness: the process is up and serving HTTP",
    description: `Touches nothing else, so a slow store never gets the process restarted.${opsNote}`,
    tag: "Operations",
    responses: {
      200: { description: "up", headers: ["Cache-Control"], content: { [JSON_TYPE]: json(SCHEMAS.Status) } },
    },
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "readyz",
    summary: "Readiness: the store answers a ping",
    description: `The reason of a failure goes to the log, not to the client.${opsNote}`,
    tag: "Operations",
    responses: {
      200: {
        description: "ready",
        headers: ["Cache-Control"],
        content: { [JSON_TYPE]: json(SCHEMAS.Status) },
      },
      503: { description: "the store cannot be reached", content: { [JSON_TYPE]: json(SCHEMAS.Error) } },
    },
  },
  {
    method: "get",
    path: "/metrics",
    operationId: "metrics",
    summary: "Prometheus metrics",
    description: `The text exposition format (of every worker under --workers).${opsNote}`,
    tag: "Operations",
    responses: {
      200: {
        description: "the metrics",
        headers: ["Cache-Control"],
        content: { "text/plain; version=0.0.4": { schema: z.string() } },
      },
    },
  },
];

/** A file served from memory (static-file.ts): ETag, 304, 404 for names it does not serve. */
const fileResponses = {
  200: {
    description: "the file",
    headers: ["Cache-Control", "ETag"],
    content: { "*/*": { schema: z.string() } },
  },
  304: { description: "not modified (If-None-Match)" },
  404: { description: "no such file", content: { [JSON_TYPE]: json(SCHEMAS.Error) } },
} satisfies Record<string, ResponseSpec>;

const docsOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/openapi.json",
    operationId: "openapi",
    summary: "This OpenAPI document",
    description: "The same as openapi/openapi.json in the repository.",
    tag: "Documentation",
    responses: {
      200: { description: "the document", content: { [JSON_TYPE]: { schema: { type: "object" } } } },
    },
  },
  {
    method: "get",
    path: "/docs",
    operationId: "docs",
    summary: "The interactive documentation page",
    description: "Swagger UI, served by this server from its own files: it works with no Internet access.",
    tag: "Documentation",
    responses: { 200: { description: "the page", content: { "text/html": { schema: z.string() } } } },
  },
  {
    method: "get",
    path: "/docs/{asset}",
    operationId: "docsAsset",
    summary: "The page's scripts, style sheet and icons",
    description: "Swagger UI's files (from the swagger-ui-dist package) and the page's start-up script.",
    tag: "Documentation",
    parameters: [parameters("path", s.docsAssetPath, { asset: "A file name." }, { asset: "swagger-ui.css" })],
    responses: fileResponses,
  },
];

const uiOperations: OperationSpec[] = [
  {
    method: "get",
    path: "/ui",
    operationId: "uiRoot",
    summary: "Redirects to the web pages (/ui/)",
    description: "308 to `/ui/`.",
    tag: "Web pages",
    responses: { 308: { description: "to /ui/" } },
  },
  {
    method: "get",
    path: "/ui/assets/{asset}",
    operationId: "uiAsset",
    summary: "The web pages' script and style sheet",
    description: "Built from ui/ by `npm run build`; 503 `ui_not_built` when they were not.",
    tag: "Web pages",
    parameters: [parameters("path", s.uiAssetPath, { asset: "A file name." }, { asset: "app.js" })],
    responses: {
      ...fileResponses,
      503: { description: "not built", content: { [JSON_TYPE]: json(SCHEMAS.Error) } },
    },
  },
  {
    method: "get",
    path: "/ui/{page}",
    operationId: "uiPage",
    summary: "The web pages: search, pivots, timelines, certificates; admin pages",
    description:
      "Every page path answers the same HTML shell (the page's script routes by the URL: " +
      "`/ui/search?q=<value>` is a search to share). Sign-in exchanges user and API token for a JWT; the " +
      "pages hold nothing else. Strict Content-Security-Policy: this server's files only.",
    tag: "Web pages",
    parameters: [parameters("path", s.uiPagePath, { page: "Any page path." }, { page: "search" })],
    responses: { 200: { description: "the page", content: { "text/html": { schema: z.string() } } } },
  },
];

/** Every operation, in the order of the document. */
export function operations(): OperationSpec[] {
  return [
    ...pdnsOperations,
    ...dnsdbOperations(),
    ...d4Operations,
    ...psslOperations,
    ...ingestOperations,
    ...authOperations,
    ...adminOperations,
    ...sensorOperations,
    ...opsOperations,
    ...docsOperations,
    ...uiOperations,
  ];
}
