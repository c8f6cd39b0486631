/**
 * Zod schemas of what the routes answer, and of the request parts they parse by hand (path values,
 * headers, ingest options), for the OpenAPI document only. What the routes validate with zod themselves
 * (JSON bodies, query parameters) is not repeated here: openapi-document.ts imports those schemas from
 * the route modules. The tests check the document's examples and real answers against these schemas.
 */
import { z } from "zod";
import { ROLES } from "../../auth/accounts.js";
import { sensorDocSchema } from "../../d4/sensors.js";

const epochSeconds = z.number().int().describe("seconds since the epoch (UTC)");
const count = z.number().int().nonnegative();
const rrtype = z
  .union([z.string(), z.number().int()])
  .describe("mnemonic (A, AAAA, MX...), or the type number when it has none");

/** The common JSON error shape (errors.ts). */
export const errorSchema = z
  .strictObject({
    code: z.string().describe("machine-readable: unauthorized, forbidden, quota_exceeded, bad_request..."),
    message: z.string().describe("for people; never echoes a credential"),
    requestId: z.string().describe("the X-Request-Id of the answer, also in the logs and the audit log"),
  })
  .meta({ examples: [{ code: "unauthorized", message: "credentials required", requestId: "c0ffee00-..." }] });

/** One COF record (cof.ts): one line of the NDJSON answers of /pdns/query, /query and /fquery. */
export const cofRecordSchema = z.strictObject({
  rrname: z.string(),
  rrtype,
  rdata: z.union([z.string(), z.array(z.string())]),
  time_first: epochSeconds,
  time_last: epochSeconds,
  count,
  origin: z.string().optional().describe("--origin (default pdns-pssl)"),
});

/** One line of a /pdns/bulk answer: a record tagged with its query, or that query's summary. */
export const bulkLineSchema = z.union([
  cofRecordSchema.extend({ query: z.string().describe("the value this record answers") }),
  z.strictObject({
    query: z.string(),
    summary: z.strictObject({
      records: count,
      limited: z.boolean().describe("true when the value had more records than its limit"),
      cursor: z
        .string()
        .optional()
        .describe("when limited: continue with GET /pdns/query/<value> and dribble-paginate-cursor"),
      error: z.string().optional().describe("why this value was not answered (the others go on)"),
    }),
  }),
]);

/** One line of /pdns/rcodes: an error answer seen for a name. */
export const rcodeLineSchema = z.strictObject({
  rrname: z.string(),
  rrtype,
  rcode: z.string().describe("NXDOMAIN, SERVFAIL, REFUSED... (or the number)"),
  time_first: epochSeconds,
  time_last: epochSeconds,
  count,
});

const dnsdbTime = z.union([epochSeconds, z.string().describe("RFC 3339 with humantime")]);

/** One line of a DNSDB SAF answer (dnsdb/saf.ts, dnsdb/summary.ts). */
export const safLineSchema = z.union([
  z.strictObject({ cond: z.literal("begin") }),
  z.strictObject({
    obj: z.union([
      z
        .strictObject({
          rrname: z.string(),
          rrtype: z.string(),
          rdata: z.array(z.string()),
          time_first: dnsdbTime,
          time_last: dnsdbTime,
          count,
        })
        .describe("lookup: one record"),
      z
        .strictObject({
          count,
          num_results: count,
          time_first: dnsdbTime.optional(),
          time_last: dnsdbTime.optional(),
        })
        .describe("summarize: the totals"),
    ]),
  }),
  z.strictObject({ cond: z.literal("succeeded") }),
  z.strictObject({
    cond: z.literal("limited"),
    msg: z.string(),
    cursor: z.string().optional().describe("resume right after the last object sent: ?cursor=<this>"),
  }),
  z.strictObject({ cond: z.literal("failed"), msg: z.string() }),
]);

const rateValue = z.union([z.number().int(), z.literal("n/a")]);
/** GET /dnsdb/v2/rate_limit. */
export const rateLimitSchema = z.strictObject({
  rate: z.strictObject({
    reset: rateValue,
    expires: rateValue,
    limit: z.union([z.number().int(), z.literal("unlimited")]),
    remaining: rateValue,
    results_max: rateValue,
    offset_max: rateValue,
    burst_size: z
      .number()
      .int()
      .optional()
      .describe("only with burst_window, only when a burst limit is set"),
    burst_window: z.number().int().optional(),
  }),
});

/** GET /info (the D4 server's shape; `ingest` for admins only). */
export const infoSchema = z.strictObject({
  version: z.string(),
  software: z.literal("pdns-pssl"),
  stats: count.describe("lines ingested in all"),
  sensors: z.array(z.strictObject({ sensor_id: z.string(), count })),
  ingest: z
    .object({
      d4_queues: z.array(z.record(z.string(), z.unknown())),
      d4_endpoint: z.record(z.string(), z.unknown()).nullable(),
    })
    .optional()
    .describe("admins only: the D4 queue consumers and the D4 endpoint (see the README)"),
});

const sha1Hex = z.string().regex(/^[0-9a-f]{40}$/);

/** CIRCL GET /v2pssl/query. */
export const psslQuerySchema = z.record(
  z.string().describe("an address"),
  z.strictObject({
    certificates: z.array(sha1Hex),
    subjects: z.record(sha1Hex, z.strictObject({ values: z.array(z.string()) })),
  }),
);

/** CIRCL GET /v2pssl/cquery. */
export const psslCquerySchema = z.strictObject({
  certificate: z.string(),
  seen: z.array(z.string()),
  hits: count,
});

/** CIRCL GET /v2pssl/cfetch. */
export const psslCfetchSchema = z.strictObject({
  pem: z.string().describe("empty for a certificate known only by its fingerprint"),
  info: z.strictObject({
    subject: z.string(),
    issuer: z.string(),
    fingerprint: z.string().describe("SHA-1, uppercase hex"),
    keylength: count,
    key: z.string().describe("public key PEM"),
    not_before: z.string().describe("2027-12-28T04:14:39+00:00"),
    not_after: z.string(),
    extension: z.record(z.string(), z.string()).describe("OpenSSL short name: OpenSSL text"),
  }),
});

const seenFields = { first_seen: epochSeconds, last_seen: epochSeconds, count };

export const psslSightingsSchema = z.record(
  z.string().describe("an address"),
  z.array(z.strictObject({ certificate: sha1Hex, port: z.number().int(), ...seenFields })),
);

export const psslCsightingsSchema = z.strictObject({
  certificate: sha1Hex,
  sightings: z.array(z.strictObject({ ip: z.string(), port: z.number().int(), ...seenFields })),
  truncated: z.boolean(),
});

const fingerprintSightings = {
  string: z.string().nullable().describe("the full fingerprint string"),
  sightings: z.array(
    z.strictObject({
      ip: z.string(),
      port: z.number().int(),
      certificate: sha1Hex.nullable(),
      ...seenFields,
    }),
  ),
  truncated: z.boolean(),
};
export const ja3Schema = z.strictObject({ ja3: z.string(), ...fingerprintSightings });
export const ja3sSchema = z.strictObject({ ja3s: z.string(), ...fingerprintSightings });

export const csearchSchema = z.strictObject({
  query: z.string(),
  certificates: z.array(
    z.strictObject({
      sha1: sha1Hex,
      subject: z.string().nullable(),
      issuer: z.string().nullable(),
      not_before: z.string().nullable(),
      not_after: z.string().nullable(),
      names: z.array(z.string()),
    }),
  ),
  truncated: z.boolean(),
});

/** What an ingest answers: `pdns-pssl ingest --json`'s summary. */
export const ingestSummarySchema = z
  .object({
    lines: count,
    records: count.optional().describe("passivedns: record lines"),
    rcodes: count.optional().describe("passivedns: error answers (NXDOMAIN...)"),
    written: count.optional(),
    created: count.optional(),
    sessions: count.optional().describe("ja3-jl, eve: TLS sessions recorded"),
    skipped: count.optional().describe("eve: events of other types"),
    certificates: count.optional(),
    rejected: z.record(z.string(), count).describe("lines rejected, per reason"),
    firstRejects: z.array(z.strictObject({ line: count, reason: z.string(), detail: z.string() })),
  })
  .describe("the summary of `pdns-pssl ingest --json`");

const limitValue = z.number().int().positive().nullable().describe("null: unlimited");
const isoTime = z.string().describe("ISO 8601");

export const userSchema = z.strictObject({
  name: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  created_at: isoTime,
  quota: z
    .strictObject({
      daily: limitValue.optional(),
      burst_size: limitValue.optional(),
      burst_window: z.number().int().positive().optional(),
      results_max: limitValue.optional(),
    })
    .describe("the user's own settings; an absent field is the server default"),
  limits: z
    .strictObject({
      daily: limitValue,
      burst_size: limitValue,
      burst_window: z.number().int().positive(),
      results_max: limitValue,
    })
    .describe("the limits in force"),
});

export const tokenInfoSchema = z.strictObject({
  id: z.string(),
  label: z.string(),
  created_at: isoTime,
  expires_at: isoTime.nullable(),
  last_used_at: isoTime.nullable(),
});

export const createdTokenSchema = z.strictObject({
  id: z.string(),
  token: z.string().describe("the secret: shown only in this answer"),
  user: z.string(),
  label: z.string(),
  created_at: isoTime,
  expires_at: isoTime.nullable(),
});

export const auditEntrySchema = z.strictObject({
  time: isoTime,
  user: z.string(),
  token_id: z.string(),
  method: z.string(),
  route: z.string(),
  value: z.string(),
  results: count.nullable(),
  status: z.number().int(),
  client_ip: z.string(),
  request_id: z.string(),
  aborted: z.boolean().optional(),
});

/** A sensor as the admin API lists it: the stored document (d4/sensors.ts) without its key. */
export const sensorSchema = sensorDocSchema.omit({ keyCipher: true });

export const jwtSchema = z.strictObject({
  token: z.string().describe("an EdDSA-signed JWT"),
  token_type: z.literal("Bearer"),
  expires_at: isoTime,
});

export const jwksSchema = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

export const statusSchema = z.strictObject({ status: z.literal("ok") });

// --- request parts the routes parse by hand (not with zod): described here for the document ---

/** /pdns/query, /query, /fquery: the value (request-value.ts, then pdns/lookup-value.ts). */
export const pdnsValuePath = z.object({
  value: z.string().min(1),
});

/** The CIRCL dribble headers of /pdns/query (circl-pdns.ts reads them by hand). */
export const dribbleHeaders = z.object({
  "dribble-filter-rrtype": z.string().optional(),
  "dribble-paginate-count": z
    .string()
    .regex(/^[0-9]{1,9}$/)
    .optional(),
  "dribble-paginate-cursor": z
    .string()
    .regex(/^[0-9]+$/)
    .optional(),
  "dribble-disable-active-query": z.string().optional(),
});

export const namePath = z.object({ name: z.string().min(1) });
export const ipPath = z.object({ ip: z.string().min(1) });
export const ipBlockPath = z.object({ ip: z.string().min(1), prefixlen: z.string().regex(/^[0-9]{1,3}$/) });
export const fingerprintPath = z.object({
  fingerprint: z.string().regex(/^[0-9a-fA-F:]{40,95}$/),
});
export const md5Path = z.object({ digest: z.string().regex(/^[0-9a-fA-F]{32}$/) });

/** DNSDB path values (dnsdb/path.ts splits and decodes them by hand). */
export const dnsdbPathValues = {
  name: z.string().min(1),
  hex: z.string().regex(/^(?:[0-9a-fA-F]{2})+$/),
  address: z.string().min(1),
  rrtype: z.string().min(1),
};

/** /ingest/passivedns options (ingest.ts reads them by hand). */
export const passivednsIngestQuery = z.object({
  format: z.enum(["text", "json"]).default("text"),
  delimiter: z.string().default("||"),
  fields: z
    .string()
    .regex(/^[SMhcwsWpCQLTAltn]+$/)
    .default("SMcsCQTAtn"),
});

export const ingestHeaders = z.object({
  "Content-Encoding": z.enum(["gzip", "identity"]).optional(),
  "X-Sensor-Id": z
    .string()
    .regex(/^[A-Za-z0-9._:@-]{1,64}$/)
    .optional(),
});

export const adminUserPath = z.object({ name: z.string().min(1) });
export const adminTokenPath = z.object({ name: z.string().min(1), id: z.string().regex(/^[0-9a-f]{16}$/) });
export const sensorPath = z.object({
  uuid: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
});
export const docsAssetPath = z.object({ asset: z.string() });
export const uiAssetPath = z.object({ asset: z.enum(["app.js", "app-style.css", "app.js.map"]) });
export const uiPagePath = z.object({ page: z.string() });

/** GET /auth/me. */
export const whoAmISchema = z.object({
  user: z.string(),
  role: z.enum(["admin", "analyst", "sensor"]),
  method: z.string().describe("how the request authenticated: token, jwt or idp"),
  expires_at: z.string().nullable().describe("when the credential stops working, if it expires"),
});
