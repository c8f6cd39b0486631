/**
 * /openapi.json and /docs as a running server serves them (public, with their headers and caching), the
 * document's sample examples replayed against a server fed the project's samples (they must be what it
 * answers, byte for byte), and real answers checked against the document's response schemas.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { openApiDocument } from "../src/http/openapi/openapi-document.js";
import * as s from "../src/http/openapi/schemas.js";
import { DOCS_CSP } from "../src/http/routes/docs.js";
import { VERSION } from "../src/version.js";
import { basic, parseNdjsonStrict } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const FILE = new URL("../openapi/openapi.json", import.meta.url);
const SHA1 = "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8";

type Json = Record<string, unknown>;
const document = openApiDocument(VERSION) as Json;

/** Follows a local $ref. */
function resolve(node: unknown): Json {
  const ref = (node as Json)?.$ref;
  if (typeof ref !== "string") return node as Json;
  return ref
    .slice(2)
    .split("/")
    .reduce<unknown>((at, part) => (at as Json)[part], document) as Json;
}

/** The value of an example of an operation's 200 answer (or of its request body). */
function exampleOf(
  operation: string,
  mediaType: string,
  where: "200" | "body" = "200",
): Map<string, unknown> {
  const [method = "", path = ""] = operation.split(" ");
  const op = ((document.paths as Json)[path] as Json)?.[method.toLowerCase()] as Json;
  if (!op) throw new Error(`no operation ${operation}`);
  const holder = where === "body" ? (op.requestBody as Json) : resolve((op.responses as Json)["200"]);
  const media = (holder.content as Json)[mediaType] as Json;
  const examples = (media?.examples ?? {}) as Record<string, { summary: string; value: unknown }>;
  return new Map(Object.values(examples).map((example) => [example.summary, example.value]));
}

/** Requests whose answers the document gives as examples (examples.ts), and the example's summary. */
const SAMPLE_REQUESTS: ReadonlyArray<{
  operation: string;
  request: string;
  mediaType: string;
  summary?: string;
}> = [
  {
    operation: "GET /pdns/query/{value}",
    request: "/pdns/query/www.example.lu",
    mediaType: "application/x-ndjson",
  },
  { operation: "GET /query/{value}", request: "/query/www.example.lu", mediaType: "application/x-ndjson" },
  { operation: "GET /fquery/{value}", request: "/fquery/www.example.lu", mediaType: "application/x-ndjson" },
  {
    operation: "GET /pdns/rcodes/{name}",
    request: "/pdns/rcodes/doesnotexist.example.lu",
    mediaType: "application/x-ndjson",
  },
  {
    operation: "GET /dnsdb/v2/lookup/rrset/name/{name}",
    request: "/dnsdb/v2/lookup/rrset/name/www.example.lu",
    mediaType: "application/x-ndjson",
    summary: "GET /dnsdb/v2/lookup/rrset/name/www.example.lu",
  },
  {
    operation: "GET /dnsdb/v2/lookup/rrset/name/{name}",
    request: "/dnsdb/v2/lookup/rrset/name/*.example.lu?limit=2",
    mediaType: "application/x-ndjson",
    summary: "GET /dnsdb/v2/lookup/rrset/name/*.example.lu?limit=2",
  },
  {
    operation: "GET /dnsdb/v2/summarize/rrset/name/{name}",
    request: "/dnsdb/v2/summarize/rrset/name/www.example.lu",
    mediaType: "application/x-ndjson",
  },
  {
    operation: "GET /v2pssl/cquery/{fingerprint}",
    request: `/v2pssl/cquery/${SHA1}`,
    mediaType: "application/json",
  },
  {
    operation: "GET /v2pssl/csightings/{fingerprint}",
    request: `/v2pssl/csightings/${SHA1}`,
    mediaType: "application/json",
  },
  {
    operation: "GET /v2pssl/ja3s/{digest}",
    request: "/v2pssl/ja3s/ec74a5c51106f0419184d0dd08fb05bc",
    mediaType: "application/json",
  },
  {
    operation: "GET /v2pssl/csearch/{name}",
    request: "/v2pssl/csearch/www.example.lu",
    mediaType: "application/json",
  },
];

describe("/openapi.json and /docs, served", () => {
  let server: TestServer;
  let analyst: string;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer("lmdb");
    analyst = basic("alice", server.analystToken);
    admin = basic("root", server.adminToken);
    await server.cli(
      "ingest",
      "passivedns",
      new URL("passivedns.txt", SAMPLES).pathname,
      "--sensor-id",
      "sensor-1",
    );
    await server.cli("ingest", "ja3-jl", new URL("ja3-jl.ndjson", SAMPLES).pathname, "--sensor-id", "tls-1");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves the committed document at /openapi.json, with no credential", async () => {
    const response = await fetch(`${server.base}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("x-request-id")).toBeTruthy();
    expect(await response.text()).toBe(await readFile(FILE, "utf8"));
    const etag = response.headers.get("etag") ?? "";
    const again = await fetch(`${server.base}/openapi.json`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
  });

  it("serves /docs with a strict Content-Security-Policy and no inline script", async () => {
    const response = await fetch(`${server.base}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("default-src 'self'");
    expect(DOCS_CSP).not.toContain("unsafe");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[1]?.trim())).toEqual([
      'src="docs/swagger-ui-bundle.js"',
      'src="docs/init.js"',
    ]);
    expect(scripts.every((m) => m[2] === "")).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("serves Swagger UI's files from the package, compressed and cached", async () => {
    const bundle = await fetch(`${server.base}/docs/swagger-ui-bundle.js`, {
      headers: { "accept-encoding": "gzip" },
    });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(bundle.headers.get("content-encoding")).toBe("gzip");
    expect(bundle.headers.get("cache-control")).toBe("public, max-age=3600");
    expect(Number(bundle.headers.get("content-length"))).toBeLessThan(1_000_000);
    const text = await bundle.text(); // fetch gunzips
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(text).toContain("SwaggerUIBundle");
    const etag = bundle.headers.get("etag") ?? "";
    const again = await fetch(`${server.base}/docs/swagger-ui-bundle.js`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);

    const css = await fetch(`${server.base}/docs/swagger-ui.css`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const icon = await fetch(`${server.base}/docs/favicon-32x32.png`);
    expect(icon.headers.get("content-type")).toBe("image/png");
    expect(icon.headers.get("content-encoding")).toBeNull();
    const init = await (await fetch(`${server.base}/docs/init.js`)).text();
    expect(init).toContain('url: "openapi.json"');
    expect(init).toContain("validatorUrl: null");

    for (const path of ["/docs/index.html", "/docs/..%2Fpackage.json", "/docs/swagger-ui.js.map", "/docs/"]) {
      const missing = await fetch(`${server.base}${path}`);
      expect(missing.status, path).toBe(404);
      expect(((await missing.json()) as Json).code).toBe("not_found");
    }
  });

  it("gives, as examples, what the server answers on the sample data", async () => {
    for (const sample of SAMPLE_REQUESTS) {
      const examples = exampleOf(sample.operation, sample.mediaType);
      const expected =
        sample.summary === undefined ? [...examples.values()][0] : examples.get(sample.summary);
      expect(expected, `${sample.operation} has an example`).toBeDefined();
      const response = await fetch(`${server.base}${sample.request}`, {
        headers: { authorization: analyst },
      });
      expect(response.status, sample.request).toBe(200);
      const body = await response.text();
      if (typeof expected === "string") expect(body, sample.request).toBe(expected);
      else expect(JSON.parse(body), sample.request).toEqual(expected);
    }
    // The bulk example: its request body, and the answer to it.
    const [request] = [...exampleOf("POST /pdns/bulk", "application/json", "body").values()];
    const [answer] = [...exampleOf("POST /pdns/bulk", "application/x-ndjson").values()];
    const response = await fetch(`${server.base}/pdns/bulk`, {
      method: "POST",
      headers: { authorization: analyst },
      body: JSON.stringify(request),
    });
    expect(await response.text()).toBe(answer);
  });

  it("answers what the response schemas describe", async () => {
    const checks: Array<{ path: string; schema: z.ZodType; auth?: string; method?: string; body?: string }> =
      [
        { path: "/pdns/query/example.lu", schema: s.cofRecordSchema },
        { path: "/pdns/query/*.example.lu?limit=50", schema: s.cofRecordSchema },
        { path: "/pdns/rcodes/old-host.example.lu", schema: s.rcodeLineSchema },
        { path: "/dnsdb/v2/lookup/rdata/ip/192.0.2.0,24?humantime=t", schema: s.safLineSchema },
        { path: "/dnsdb/v2/summarize/rdata/name/mail.example.lu", schema: s.safLineSchema },
        { path: "/dnsdb/v2/rate_limit", schema: s.rateLimitSchema },
        { path: "/info", schema: s.infoSchema },
        { path: "/info", schema: s.infoSchema, auth: admin },
        { path: "/v2pssl/query/127.0.0.1", schema: s.psslQuerySchema },
        { path: `/v2pssl/cfetch/${SHA1}`, schema: s.psslCfetchSchema },
        { path: "/v2pssl/sightings/127.0.0.0/30", schema: s.psslSightingsSchema },
        { path: "/v2pssl/ja3/871a754af286dfb70c1b53c6887c62e0", schema: s.ja3Schema },
        { path: "/v2pssl/csearch/*.example.lu", schema: s.csearchSchema },
        { path: "/auth/token", method: "POST", schema: s.jwtSchema },
        { path: "/auth/jwks.json", schema: s.jwksSchema },
        { path: "/admin/users/alice", schema: s.userSchema, auth: admin },
        {
          path: "/admin/users/alice/tokens",
          method: "POST",
          body: "{}",
          schema: s.createdTokenSchema,
          auth: admin,
        },
        {
          path: "/ingest/passivedns",
          method: "POST",
          body: "1795666358.903112||127.0.0.1||127.0.0.53||IN||www.example.lu.||A||192.0.2.11||3600||1\nbad line\n",
          schema: s.ingestSummarySchema,
          auth: basic("probe", server.sensorToken),
        },
        { path: "/healthz", schema: s.statusSchema, auth: admin },
        { path: "/pdns/query/example.lu", schema: s.errorSchema, auth: "Basic bm9ib2R5Om5vcGU=" },
      ];
    for (const check of checks) {
      if (check.path.startsWith("/admin/audit")) await new Promise((done) => setTimeout(done, 600));
      const response = await fetch(`${server.base}${check.path}`, {
        method: check.method ?? "GET",
        headers: { authorization: check.auth ?? analyst },
        ...(check.body === undefined ? {} : { body: check.body }),
      });
      const where = `${check.method ?? "GET"} ${check.path}`;
      expect(response.status < 300 || check.schema === s.errorSchema, where).toBe(true);
      const text = await response.text();
      let values: unknown[];
      if (response.headers.get("content-type") === "application/x-ndjson") values = parseNdjsonStrict(text);
      else {
        const value = JSON.parse(text) as Json;
        values = check.path.startsWith("/admin/audit") ? (value.entries as unknown[]) : [value];
      }
      expect(values.length, where).toBeGreaterThan(0);
      for (const value of values) {
        const parsed = check.schema.safeParse(value);
        expect(parsed.success, `${where}: ${JSON.stringify(value)} ${parsed.error?.message ?? ""}`).toBe(
          true,
        );
      }
    }
  });
});
