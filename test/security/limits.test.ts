/**
 * Request size limits, over real sockets: headers over Node's 16 KiB are 431 and the process serves on;
 * a long URL is 414 in the common error shape (431 past 16 KiB); JSON bodies (admin, /auth/token, bulk)
 * and ingest bodies over their caps are 413 in the common shape, whether Content-Length announces them
 * or they arrive chunked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_URL_LENGTH } from "../../src/http/app.js";
import { MAX_HEADER_BYTES } from "../../src/server.js";
import { errorOf, rawExchange, type SecurityServer, startSecurityServer } from "./security-server.js";

/** A body sent in chunks with no Content-Length (Transfer-Encoding: chunked). */
function chunked(text: string, pieces = 4): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const size = Math.ceil(bytes.length / pieces);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

describe("request size limits [lmdb]", () => {
  let server: SecurityServer;

  beforeAll(async () => {
    server = await startSecurityServer("lmdb", { ingestMaxBytes: "4096" });
  });

  afterAll(async () => {
    await server?.close();
  });

  const stillServing = async () => {
    const response = await fetch(`${server.base}/dnsdb/v2/ping`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ping: "ok" });
  };

  it("answers 431 to headers over 16 KiB (a 64 KiB token) and keeps serving", async () => {
    expect(MAX_HEADER_BYTES).toBe(16 * 1024);
    const huge = `Bearer ${"A".repeat(64 * 1024)}`;
    const outcome = await rawExchange(
      server.port,
      `GET /pdns/query/example.lu HTTP/1.1\r\nHost: x\r\nAuthorization: ${huge}\r\n\r\n`,
    );
    expect(outcome.status).toBe(431);
    expect(outcome.closedAfterMs).toBeDefined();
    // Many headers adding up to the limit count the same as one big one.
    const many = Array.from({ length: 200 }, (_, i) => `X-Filler-${i}: ${"b".repeat(100)}\r\n`).join("");
    expect(
      (await rawExchange(server.port, `GET /dnsdb/v2/ping HTTP/1.1\r\nHost: x\r\n${many}\r\n`)).status,
    ).toBe(431);
    // Just under the limit is served.
    const under = await fetch(`${server.base}/dnsdb/v2/ping`, {
      headers: { "x-filler": "c".repeat(12_000) },
    });
    expect(under.status).toBe(200);
    await stillServing();
  });

  it("answers 400 to a request Node cannot parse, and keeps serving", async () => {
    for (const garbage of [
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET /dnsdb/v2/ping HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "POST /admin/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "\u0000\u0001\u0002\r\n\r\n",
    ]) {
      const outcome = await rawExchange(server.port, garbage);
      expect(outcome.status, JSON.stringify(garbage)).toBe(400);
      expect(outcome.closedAfterMs, JSON.stringify(garbage)).toBeDefined();
    }
    await stillServing();
  });

  it("answers 414 in the common shape to a URL over 8 KiB, 431 past 16 KiB, and keeps serving", async () => {
    const long = `/pdns/query/${"a".repeat(MAX_URL_LENGTH)}.lu`;
    const refused = await fetch(`${server.base}${long}`, { headers: { authorization: server.analyst } });
    const error = await errorOf(refused);
    expect(error).toMatchObject({ status: 414, code: "uri_too_long" });
    // Before access control: no credential needed to be told, and no store lookup.
    expect((await errorOf(await fetch(`${server.base}${long}`))).status).toBe(414);
    expect(refused.headers.get("x-content-type-options")).toBe("nosniff");
    const huge = await rawExchange(server.port, `GET /${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(huge.status).toBe(431);
    // A long but acceptable URL is the route's to judge (a name over 253 characters: 400).
    const name = `${"a".repeat(60)}.`.repeat(5);
    const response = await fetch(`${server.base}/pdns/query/${name}lu`, {
      headers: { authorization: server.analyst },
    });
    expect(response.status).toBe(400);
    await response.arrayBuffer();
    await stillServing();
  });

  it("caps admin JSON bodies at 64 KiB: 413 by Content-Length and when streamed", async () => {
    const big = JSON.stringify({ name: "mallory", role: "analyst", padding: "x".repeat(70 * 1024) });
    const declared = await fetch(`${server.base}/admin/users`, {
      method: "POST",
      headers: { authorization: server.admin, "content-type": "application/json" },
      body: big,
    });
    expect(await errorOf(declared)).toMatchObject({ status: 413, code: "too_large" });
    const streamed = await fetch(`${server.base}/admin/users`, {
      method: "POST",
      headers: { authorization: server.admin, "content-type": "application/json" },
      body: chunked(big),
      duplex: "half",
    } as RequestInit);
    expect(await errorOf(streamed)).toMatchObject({ status: 413, code: "too_large" });
    // Nothing was created, and a body within the cap still is.
    const listed = await fetch(`${server.base}/admin/users/mallory`, {
      headers: { authorization: server.admin },
    });
    expect(listed.status).toBe(404);
    await listed.arrayBuffer();
    const fine = await fetch(`${server.base}/admin/users`, {
      method: "POST",
      headers: { authorization: server.admin },
      body: JSON.stringify({ name: "mallory", role: "analyst" }),
    });
    expect(fine.status).toBe(201);
    await fine.arrayBuffer();
  });

  it("caps POST /auth/token bodies at 64 KiB (413)", async () => {
    const response = await fetch(`${server.base}/auth/token`, {
      method: "POST",
      headers: { authorization: server.analyst },
      body: JSON.stringify({ expires_in: 60, padding: "y".repeat(65 * 1024) }),
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "too_large" });
  });

  it("caps POST /pdns/bulk bodies at 8 MiB (413)", async () => {
    const values = JSON.stringify(Array.from({ length: 600_000 }, (_, i) => `n${i}.example.lu`));
    expect(values.length).toBeGreaterThan(8 * 1024 * 1024);
    const response = await fetch(`${server.base}/pdns/bulk`, {
      method: "POST",
      headers: { authorization: server.analyst, "content-type": "application/json" },
      body: values,
    });
    expect(await errorOf(response)).toMatchObject({ status: 413, code: "too_large" });
  });

  it("caps ingest bodies at --ingest-max-bytes (413), announced or streamed", async () => {
    const line = "1700000000.1||10.0.0.1||10.0.0.2||IN||a.example.||A||192.0.2.1||60||1\n";
    const body = line.repeat(Math.ceil(8192 / line.length));
    const declared = await fetch(`${server.base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization: server.sensor },
      body,
    });
    expect(await errorOf(declared)).toMatchObject({ status: 413, code: "too_large" });
    const streamed = await fetch(`${server.base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization: server.sensor },
      body: chunked(body, 8),
      duplex: "half",
    } as RequestInit);
    expect(await errorOf(streamed)).toMatchObject({ status: 413, code: "too_large" });
    // Within the cap: ingested.
    const fine = await fetch(`${server.base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization: server.sensor },
      body: line,
    });
    expect(fine.status).toBe(200);
    expect(await fine.json()).toMatchObject({ lines: 1, records: 1 });
    await stillServing();
  });
});
