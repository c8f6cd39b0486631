/**
 * Slow clients cannot hold the server, over real sockets with short configured timeouts: headers sent a
 * byte at a time are cut at --headers-timeout (408) while other clients are served at once; a body
 * trickled past --request-timeout is cut (408), except an admitted sensor's ingest, which streams on;
 * a body that stalls is cut after --idle-timeout; an idle kept-alive connection closes after
 * --keep-alive-timeout. None of it counts as an internal error.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { rawConnection, type SecurityServer, sleep, startSecurityServer } from "./security-server.js";

const LINE = "1700000000.1||10.0.0.1||10.0.0.2||IN||slow.example.||A||192.0.2.7||60||1\n";

/** The value of pdns_pssl_internal_errors_total (the registry is this process's: both servers count). */
async function internalErrors(server: SecurityServer): Promise<number> {
  const response = await fetch(`${server.base}/metrics`, { headers: { authorization: server.admin } });
  const text = await response.text();
  const match = /^pdns_pssl_internal_errors_total (\d+)/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/** A request's head with a body of `length` bytes to follow (the connection closes after the answer). */
function head(method: string, path: string, authorization: string, length: number): string {
  return (
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\n` +
    `Content-Length: ${length}\r\nConnection: close\r\n\r\n`
  );
}

/** Writes `body` in `pieces` parts, `everyMs` apart, while the connection stays open. */
async function trickle(
  connection: Awaited<ReturnType<typeof rawConnection>>,
  body: string,
  pieces: number,
  everyMs: number,
): Promise<void> {
  const size = Math.ceil(body.length / pieces);
  for (let at = 0; at < body.length && connection.open; at += size) {
    connection.write(body.slice(at, at + size));
    await sleep(everyMs);
  }
}

describe("configuration of the HTTP timeouts", () => {
  it("has defaults of 10 s headers, 300 s request, 5 s keep-alive, 120 s idle", () => {
    expect(loadConfig({}, {})).toMatchObject({
      headersTimeout: 10,
      requestTimeout: 300,
      keepAliveTimeout: 5,
      idleTimeout: 120,
    });
    expect(
      loadConfig({ requestTimeout: "0", idleTimeout: "0" }, { PDNS_PSSL_HEADERS_TIMEOUT: "2.5" }),
    ).toMatchObject({ headersTimeout: 2.5, requestTimeout: 0, idleTimeout: 0 });
  });

  it("refuses a headers timeout longer than the request timeout, and nonsense", () => {
    expect(() => loadConfig({ headersTimeout: "20", requestTimeout: "10" }, {})).toThrow(
      /--headers-timeout \(20 s\) may not be longer than --request-timeout \(10 s\)/,
    );
    expect(() => loadConfig({ headersTimeout: "0" }, {})).toThrow(/--headers-timeout/);
    expect(() => loadConfig({ idleTimeout: "-1" }, {})).toThrow(/--idle-timeout/);
    expect(() => loadConfig({}, { PDNS_PSSL_REQUEST_TIMEOUT: "soon" })).toThrow(/PDNS_PSSL_REQUEST_TIMEOUT/);
  });
});

/**
 * A server with these timeouts for the enclosing suite (started before its tests, stopped after them),
 * checking at the end that none of the cuts counted as an internal error.
 */
function serverForSuite(settings: Parameters<typeof startSecurityServer>[1]): { server: SecurityServer } {
  const suite = {} as { server: SecurityServer };
  let errorsBefore = 0;
  beforeAll(async () => {
    suite.server = await startSecurityServer("lmdb", settings);
    errorsBefore = await internalErrors(suite.server);
  });
  afterAll(async () => {
    try {
      expect(await internalErrors(suite.server)).toBe(errorsBefore);
    } finally {
      await suite.server?.close();
    }
  });
  return suite;
}

describe.concurrent("headers and request deadlines (1 s headers, 1.5 s request)", () => {
  const suite = serverForSuite({ headersTimeout: "1", requestTimeout: "1.5", idleTimeout: "30" });

  it("cuts clients sending headers a byte at a time at the headers timeout, serving others meanwhile", async ({
    expect,
  }) => {
    const request = `GET /dnsdb/v2/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${"z".repeat(100)}`;
    const slow = await Promise.all(Array.from({ length: 20 }, () => rawConnection(suite.server.port)));
    let sending = true;
    const senders = slow.map(async (connection) => {
      for (let i = 0; sending && connection.open && i < request.length; i++) {
        connection.write(request[i] as string);
        await sleep(250);
      }
    });
    // Meanwhile, other clients: every answer comes at once.
    const latencies: number[] = [];
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      const started = performance.now();
      const response = await fetch(`${suite.server.base}/dnsdb/v2/ping`);
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
      await sleep(50);
    }
    const outcomes = await Promise.all(slow.map((connection) => connection.closed(4000)));
    sending = false;
    await Promise.all(senders);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(408);
      expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(outcome.closedAfterMs).toBeLessThan(3000);
    }
    expect(latencies.length).toBeGreaterThan(5);
    // Blocked behind the slow clients, an answer would wait for the headers deadline (1 s).
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(200);
    expect(sorted.at(-1)).toBeLessThan(900);
  });

  it("cuts a body trickled past the request timeout (408) on a JSON route", async ({ expect }) => {
    const body = JSON.stringify({ name: "trickler", role: "analyst", note: "n".repeat(40) });
    const connection = await rawConnection(suite.server.port);
    connection.write(head("POST", "/admin/users", suite.server.admin, body.length));
    // 10 pieces 300 ms apart: 3 s of sending, never idle for long.
    void trickle(connection, body, 10, 300);
    const outcome = await connection.closed(4000);
    expect(outcome.status).toBe(408);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(1400);
    expect(outcome.closedAfterMs).toBeLessThan(3000);
    const check = await fetch(`${suite.server.base}/admin/users/trickler`, {
      headers: { authorization: suite.server.admin },
    });
    expect(check.status).toBe(404);
    await check.arrayBuffer();
  });

  it("cuts a trickled body on a route that does not read it (an unauthenticated GET)", async ({ expect }) => {
    const connection = await rawConnection(suite.server.port);
    connection.write("GET /dnsdb/v2/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n");
    void trickle(connection, "q".repeat(100), 20, 200);
    const outcome = await connection.closed(4000);
    // The ping was answered at once; the connection was then closed at the request deadline.
    expect(outcome.status).toBe(200);
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(1400);
    expect(outcome.closedAfterMs).toBeLessThan(3000);
  });

  it("lets an admitted sensor's ingest stream past the request timeout", async ({ expect }) => {
    const body = LINE.repeat(10);
    const connection = await rawConnection(suite.server.port);
    connection.write(head("POST", "/ingest/passivedns", suite.server.sensor, body.length));
    // 10 lines, 250 ms apart: 2.5 s, past the 1.5 s request deadline.
    await trickle(connection, body, 10, 250);
    const outcome = await connection.closed(3000);
    expect(outcome.status, outcome.received).toBe(200);
    expect(outcome.received).toMatch(/"lines":10/);
    // The next request on a new connection still has the deadline.
    const again = await rawConnection(suite.server.port);
    again.write(head("POST", "/admin/users", suite.server.admin, 500));
    void trickle(again, "{".padEnd(500, " "), 20, 200);
    expect((await again.closed(4000)).status).toBe(408);
  });

  it("keeps the deadline for an ingest that access control refuses (no credential: 401 at once)", async ({
    expect,
  }) => {
    const connection = await rawConnection(suite.server.port);
    connection.write(
      `POST /ingest/passivedns HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${LINE.length * 20}\r\n\r\n`,
    );
    void trickle(connection, LINE.repeat(20), 20, 200);
    const outcome = await connection.closed(4000);
    expect(outcome.status).toBe(401);
    expect(outcome.closedAfterMs).toBeLessThan(2500);
  });
});

describe.concurrent("idle and keep-alive timeouts (1 s idle, 1 s keep-alive, no request deadline)", () => {
  const suite = serverForSuite({
    headersTimeout: "10",
    requestTimeout: "0",
    idleTimeout: "1",
    keepAliveTimeout: "1",
  });

  it("cuts a body that stalls after the idle timeout, on a JSON route and on ingest", async ({ expect }) => {
    for (const [path, auth] of [
      ["/admin/users", suite.server.admin],
      ["/ingest/passivedns", suite.server.sensor],
    ] as const) {
      const connection = await rawConnection(suite.server.port);
      connection.write(head("POST", path, auth, 1000));
      connection.write(path === "/admin/users" ? '{"name":' : LINE);
      const outcome = await connection.closed(4000);
      expect(outcome.status, `${path}: ${outcome.received}`).toBeUndefined();
      expect(outcome.closedAfterMs, path).toBeGreaterThanOrEqual(900);
      expect(outcome.closedAfterMs, path).toBeLessThan(2500);
    }
  });

  it("lets a body that keeps coming take longer than the idle timeout", async ({ expect }) => {
    const body = LINE.repeat(8);
    const connection = await rawConnection(suite.server.port);
    connection.write(head("POST", "/ingest/passivedns", suite.server.sensor, body.length));
    // 8 lines, 300 ms apart: 2.4 s, more than twice the idle timeout.
    await trickle(connection, body, 8, 300);
    const outcome = await connection.closed(3000);
    expect(outcome.status, outcome.received).toBe(200);
  });

  it("closes an idle kept-alive connection after the keep-alive timeout, and cuts a stall on its next request", async ({
    expect,
  }) => {
    const connection = await rawConnection(suite.server.port);
    connection.write("GET /dnsdb/v2/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const idle = await connection.closed(4000);
    expect(idle.status).toBe(200);
    expect(idle.closedAfterMs).toBeGreaterThanOrEqual(800);
    expect(idle.closedAfterMs).toBeLessThan(2500);

    const second = await rawConnection(suite.server.port);
    second.write("GET /dnsdb/v2/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await sleep(300);
    second.write(head("POST", "/admin/users", suite.server.admin, 100));
    second.write('{"name":');
    const stalled = await second.closed(4000);
    expect(stalled.status).toBe(200);
    // One answer only (the ping): the stalled request got none before the cut.
    expect(stalled.received.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(stalled.closedAfterMs).toBeLessThan(2800);
  });
});
