/**
 * The health probes over real HTTP, on both backends: /healthz (the process is up) and /readyz (the
 * store answers). Readiness failing is shown for real: a Redis-backed server reaches its Redis through a
 * TCP relay that the test cuts (every connection dropped, nothing listening) and then restores.
 */
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable, REDIS_URL, redisReachable } from "./helpers/backends.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

async function get(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  return { response, text, json: text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

/** Polls until `done` holds of the probe's value or `ms` pass; returns the last value. */
async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`health probes [${backend}]`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { opsPublic: "true" });
    }, 60_000);
    afterAll(() => server?.close());

    it("GET /healthz answers 200 {status: ok} without a credential, never cached", async () => {
      const { response, json } = await get(`${server.base}/healthz`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(json).toEqual({ status: "ok" });
    });

    it("GET /readyz answers 200 {status: ok} when the store answers", async () => {
      const { response, json } = await get(`${server.base}/readyz`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(json).toEqual({ status: "ok" });
    });

    it("HEAD works too (some load balancers probe with it)", async () => {
      for (const path of ["/healthz", "/readyz"]) {
        const response = await fetch(`${server.base}${path}`, { method: "HEAD" });
        expect(response.status, path).toBe(200);
      }
    });

    it("ignores credentials, even bad ones, and is not audited", async () => {
      for (const path of ["/healthz", "/readyz"]) {
        const { response } = await get(`${server.base}${path}`, {
          headers: { authorization: basic("alice", "pps_0000000000000000_bad") },
        });
        expect(response.status, path).toBe(200);
      }
      // An audited query after the probes: once it is in the log, the probes would be too.
      const query = await get(`${server.base}/pdns/query/health.example`, {
        headers: { authorization: basic("alice", server.analystToken) },
      });
      expect(query.response.status).toBe(200);
      const audit = await eventually(
        async () => {
          const { json } = await get(`${server.base}/admin/audit?limit=1000`, {
            headers: { authorization: basic("root", server.adminToken) },
          });
          return ((json?.entries ?? []) as { route: string; value?: string }[]).map(
            (e) => `${e.route} ${e.value ?? ""}`,
          );
        },
        (entries) => entries.some((e) => e.includes("health.example")),
      );
      expect(audit.some((e) => e.includes("health.example"))).toBe(true);
      expect(audit.filter((e) => /healthz|readyz/.test(e))).toEqual([]);
    });
  });
}

/** A TCP relay to Redis that can be cut (connections dropped, port closed) and restored on the same port. */
class Relay {
  readonly #target: URL;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  get isOpen(): boolean {
    return this.#server !== undefined;
  }

  constructor(target: string) {
    this.#target = new URL(target);
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.#target.port || 6379), this.#target.hostname);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.#sockets.add(a);
        a.pipe(b);
        a.on("error", () => b.destroy());
        a.on("close", () => {
          this.#sockets.delete(a);
          b.destroy();
        });
      }
    });
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (typeof address === "object" && address) this.port = address.port;
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The Redis URL that goes through the relay. */
  url(): string {
    const url = new URL(this.#target.href);
    url.hostname = "127.0.0.1";
    url.port = String(this.port);
    return url.href;
  }
}

describe.skipIf(!redisReachable)("/readyz when the store becomes unreachable [redis]", () => {
  const relay = new Relay(REDIS_URL);
  let server: TestServer;
  beforeAll(async () => {
    await relay.open();
    // The server reaches Redis through the relay; the CLI (users, tokens) goes to Redis directly.
    server = await startTestServer("redis", { store: relay.url(), opsPublic: "true" });
  }, 60_000);
  afterAll(async () => {
    // Closing the store needs Redis: give it back if a failed test left it cut.
    if (!relay.isOpen) await relay.open();
    await server?.close();
    await relay.cut();
  });

  it("answers 503 in the common error shape while Redis is unreachable, 200 again once it is back", async () => {
    expect((await get(`${server.base}/readyz`)).response.status).toBe(200);

    await relay.cut();
    const started = Date.now();
    const down = await eventually(
      () => get(`${server.base}/readyz`),
      (r) => r.response.status !== 200,
    );
    expect(down.response.status).toBe(503);
    expect(down.response.headers.get("content-type")).toBe("application/json");
    expect(down.response.headers.get("cache-control")).toBe("no-store");
    expect(down.json).toEqual({
      code: "store_unavailable",
      message: "the store cannot be reached; try again shortly",
      requestId: down.response.headers.get("x-request-id"),
    });
    // The answer names no internal host or port.
    expect(down.text).not.toContain(String(relay.port));
    // A probe answers within its timeout (2 s) rather than hanging with the store.
    expect(Date.now() - started).toBeLessThan(10_000);

    // Liveness does not depend on the store: the process is up, restarting it would not help.
    const alive = await get(`${server.base}/healthz`);
    expect(alive.response.status).toBe(200);
    expect(alive.json).toEqual({ status: "ok" });

    await relay.open();
    const up = await eventually(
      () => get(`${server.base}/readyz`),
      (r) => r.response.status === 200,
    );
    expect(up.response.status).toBe(200);
    expect(up.json).toEqual({ status: "ok" });
  }, 40_000);
});
