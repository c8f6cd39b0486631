/**
 * Security headers on every answer, over real HTTP: `X-Content-Type-Options: nosniff` and
 * `Referrer-Policy: no-referrer` on JSON and NDJSON answers, streamed ones, errors of every status,
 * unknown routes, redirects, the documentation and the operations listener; /docs keeps its
 * Content-Security-Policy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCS_CSP } from "../../src/http/routes/docs.js";
import { type SecurityServer, startSecurityServer } from "./security-server.js";

function expectSecurityHeaders(response: Response, what: string): void {
  expect(response.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(response.headers.get("referrer-policy"), what).toBe("no-referrer");
  expect(response.headers.get("x-request-id"), what).toMatch(/^[0-9a-f-]{36}$/);
}

describe("security headers [lmdb]", () => {
  let server: SecurityServer;

  beforeAll(async () => {
    server = await startSecurityServer("lmdb", { opsListen: "127.0.0.1:0", defaultBurstSize: "1000" });
    const line = "1700000000.1||10.0.0.1||10.0.0.2||IN||www.example.lu.||A||192.0.2.1||60||1\n";
    const lines = Array.from({ length: 3000 }, (_, i) => line.replace("www", `h${i}`)).join("");
    const ingested = await fetch(`${server.base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization: server.sensor },
      body: lines,
    });
    expect(ingested.status).toBe(200);
    await ingested.arrayBuffer();
  });

  afterAll(async () => {
    await server?.close();
  });

  const cases: [what: string, path: string, init: () => RequestInit, status: number][] = [
    ["a JSON answer", "/dnsdb/v2/ping", () => ({}), 200],
    [
      "an NDJSON answer",
      "/pdns/query/h1.example.lu",
      () => ({ headers: { authorization: server.analyst } }),
      200,
    ],
    [
      "a streamed answer (thousands of records)",
      "/pdns/query/*.example.lu",
      () => ({ headers: { authorization: server.analyst } }),
      200,
    ],
    ["an admin answer", "/admin/users", () => ({ headers: { authorization: server.admin } }), 200],
    ["a 400", "/pdns/query/bad..name", () => ({ headers: { authorization: server.analyst } }), 400],
    ["a 401", "/pdns/query/example.lu", () => ({}), 401],
    ["a 403", "/admin/users", () => ({ headers: { authorization: server.analyst } }), 403],
    ["a 404 (unknown route)", "/no/such/route", () => ({}), 404],
    ["a 404 (admin API)", "/admin/users/nobody", () => ({ headers: { authorization: server.admin } }), 404],
    ["a 414", `/pdns/query/${"a".repeat(9000)}`, () => ({}), 414],
    [
      "a 413",
      "/admin/users",
      () => ({ method: "POST", headers: { authorization: server.admin }, body: "x".repeat(70_000) }),
      413,
    ],
    ["the OpenAPI document", "/openapi.json", () => ({}), 200],
    ["the JWKS", "/auth/jwks.json", () => ({}), 200],
    [
      "metrics (admins on the API port)",
      "/metrics",
      () => ({ headers: { authorization: server.admin } }),
      200,
    ],
  ];

  for (const [what, path, init, status] of cases) {
    it(`on ${what}`, async () => {
      const response = await fetch(`${server.base}${path}`, init());
      const body = await response.text();
      expect(response.status, body.slice(0, 200)).toBe(status);
      expectSecurityHeaders(response, what);
      if (what.startsWith("a streamed")) expect(body.split("\n").length).toBeGreaterThan(2000);
    });
  }

  it("on a redirect and on answers not made by the API's answer helper (/ui, /docs)", async () => {
    const redirect = await fetch(`${server.base}/ui`, { redirect: "manual" });
    await redirect.arrayBuffer();
    expectSecurityHeaders(redirect, "/ui");
    const docs = await fetch(`${server.base}/docs`);
    await docs.arrayBuffer();
    expect(docs.status).toBe(200);
    expectSecurityHeaders(docs, "/docs");
    // The documentation page keeps its Content-Security-Policy, and is never framed.
    expect(docs.headers.get("content-security-policy")).toBe(DOCS_CSP);
    expect(DOCS_CSP).toMatch(/default-src 'self'/);
    expect(DOCS_CSP).toMatch(/frame-ancestors 'none'/);
    expect(DOCS_CSP).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(docs.headers.get("x-frame-options")).toBe("DENY");
    // Its 304 too.
    const etag = docs.headers.get("etag") as string;
    const cached = await fetch(`${server.base}/docs`, { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expectSecurityHeaders(cached, "/docs 304");
  });

  it("on a 429, with its Retry-After and rate-limit headers", async () => {
    const admin = { authorization: server.admin };
    const created = await fetch(`${server.base}/admin/users`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "limited", role: "analyst" }),
    });
    expect(created.status).toBe(201);
    await created.arrayBuffer();
    const quota = await fetch(`${server.base}/admin/users/limited/quota`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ burst_size: 1, burst_window: 3600 }),
    });
    expect(quota.status).toBe(200);
    await quota.arrayBuffer();
    const issued = await fetch(`${server.base}/admin/users/limited/tokens`, {
      method: "POST",
      headers: admin,
    });
    const { token } = (await issued.json()) as { token: string };
    const query = () => fetch(`${server.base}/pdns/query/h1.example.lu`, { headers: { "x-api-key": token } });
    const first = await query();
    await first.arrayBuffer();
    expect(first.status).toBe(200);
    expectSecurityHeaders(first, "a metered answer");
    expect(first.headers.get("x-ratelimit-limit")).toBe("1");
    const refused = await query();
    await refused.arrayBuffer();
    expect(refused.status).toBe(429);
    expectSecurityHeaders(refused, "a 429");
    expect(refused.headers.get("retry-after")).toMatch(/^[0-9]+$/);
  });

  it("on the operations listener", async () => {
    for (const path of ["/healthz", "/readyz", "/metrics", "/nothing-here"]) {
      const response = await fetch(`${server.opsBase}${path}`);
      await response.arrayBuffer();
      expect(response.status, path).toBe(path === "/nothing-here" ? 404 : 200);
      expectSecurityHeaders(response, path);
    }
  });
});
