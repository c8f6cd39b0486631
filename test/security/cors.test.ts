/**
 * CORS is off unless configured: no Access-Control-* header answers a cross-origin preflight or request.
 * With `corsOrigins`, the listed origins (exactly) get preflights answered, the credential headers
 * allowed and the server's own headers exposed; every other origin is served as if CORS were off.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type SecurityServer, startSecurityServer } from "./security-server.js";

const APP = "https://app.example.org";
const LOCAL = "http://localhost:3000";
const EVIL = "https://evil.example.net";

function preflight(base: string, path: string, origin: string, method = "GET"): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type",
    },
  });
}

function accessControlHeaders(response: Response): string[] {
  return [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

describe("the corsOrigins setting", () => {
  it("takes exact origins from a flag, a variable or the config file (a list or one string)", async () => {
    expect(loadConfig({}, {}).corsOrigins).toEqual([]);
    expect(loadConfig({ corsOrigins: `${APP},${LOCAL}` }, {}).corsOrigins).toEqual([APP, LOCAL]);
    expect(loadConfig({}, { PDNS_PSSL_CORS_ORIGINS: ` ${APP} , ${LOCAL} ` }).corsOrigins).toEqual([
      APP,
      LOCAL,
    ]);
    const dir = await mkdtemp(join(tmpdir(), "pp-cors-"));
    try {
      const file = join(dir, "config.json");
      await writeFile(file, JSON.stringify({ corsOrigins: [APP, LOCAL] }));
      expect(loadConfig({ config: file }, {}).corsOrigins).toEqual([APP, LOCAL]);
      await writeFile(file, JSON.stringify({ corsOrigins: APP }));
      expect(loadConfig({ config: file }, {}).corsOrigins).toEqual([APP]);
      await writeFile(file, JSON.stringify({ corsOrigins: [APP, "https://app.example.org/"] }));
      expect(() => loadConfig({ config: file }, {})).toThrow(/corsOrigins\[1\] in .*exact origins/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses what is not an exact origin: a path, a slash, a wildcard, a default port, a bare host", () => {
    for (const bad of [
      "https://app.example.org/",
      "https://app.example.org/api",
      "*",
      "https://*.example.org",
      "https://app.example.org:443",
      "HTTPS://APP.EXAMPLE.ORG",
      "app.example.org",
      "null",
      "http://a b.example",
      "chrome-extension://abcdef",
    ]) {
      expect(() => loadConfig({ corsOrigins: bad }, {}), bad).toThrow(/--cors-origins/);
    }
  });
});

describe("CORS off (the default)", () => {
  let server: SecurityServer;

  beforeAll(async () => {
    server = await startSecurityServer("lmdb");
  });

  afterAll(async () => {
    await server?.close();
  });

  it("answers a cross-origin preflight without any Access-Control-* header", async () => {
    for (const path of ["/pdns/query/example.lu", "/admin/users", "/auth/token", "/dnsdb/v2/ping"]) {
      const response = await preflight(server.base, path, APP, path === "/auth/token" ? "POST" : "GET");
      await response.arrayBuffer();
      expect(accessControlHeaders(response), path).toEqual([]);
      expect(response.status, path).not.toBe(204);
    }
  });

  it("answers cross-origin requests, credentialed or not, without any Access-Control-* header", async () => {
    const query = await fetch(`${server.base}/pdns/query/example.lu`, {
      headers: { origin: APP, authorization: server.analyst },
    });
    expect(query.status).toBe(200);
    await query.arrayBuffer();
    expect(accessControlHeaders(query)).toEqual([]);
    const refused = await fetch(`${server.base}/pdns/query/example.lu`, { headers: { origin: APP } });
    expect(refused.status).toBe(401);
    await refused.arrayBuffer();
    expect(accessControlHeaders(refused)).toEqual([]);
  });
});

describe("CORS on for two origins", () => {
  let server: SecurityServer;

  beforeAll(async () => {
    server = await startSecurityServer("lmdb", { corsOrigins: `${APP},${LOCAL}`, defaultDaily: "1000" });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("answers a preflight from a listed origin: 204, that origin, the credential headers, 10 minutes", async () => {
    for (const origin of [APP, LOCAL]) {
      const response = await preflight(server.base, "/pdns/query/example.lu", origin);
      expect(response.status).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(origin);
      expect(response.headers.get("access-control-allow-methods")?.split(",")).toEqual(
        expect.arrayContaining(["GET", "POST", "PUT", "PATCH", "DELETE"]),
      );
      const allowed = response.headers.get("access-control-allow-headers")?.toLowerCase().split(",");
      expect(allowed).toEqual(expect.arrayContaining(["authorization", "x-api-key", "content-type"]));
      expect(response.headers.get("access-control-max-age")).toBe("600");
      expect(response.headers.get("vary")).toMatch(/origin/i);
      // Credentials travel in Authorization, set by the script: no cookies, so no Allow-Credentials.
      expect(response.headers.get("access-control-allow-credentials")).toBeNull();
      // A preflight is an answer like any other.
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });

  it("treats another origin, a near miss or no origin as if CORS were off", async () => {
    for (const origin of [EVIL, "https://app.example.org.evil.example", "http://app.example.org", "null"]) {
      const response = await preflight(server.base, "/pdns/query/example.lu", origin);
      await response.arrayBuffer();
      expect(response.status, origin).toBe(401);
      expect(accessControlHeaders(response), origin).toEqual([]);
      const query = await fetch(`${server.base}/pdns/query/example.lu`, {
        headers: { origin, authorization: server.analyst },
      });
      await query.arrayBuffer();
      expect(query.status).toBe(200);
      expect(accessControlHeaders(query), origin).toEqual([]);
    }
  });

  it("lets a listed origin read answers, errors and the server's own headers", async () => {
    const response = await fetch(`${server.base}/pdns/query/example.lu`, {
      headers: { origin: APP, authorization: server.analyst },
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("vary")).toMatch(/origin/i);
    const exposed = response.headers.get("access-control-expose-headers")?.toLowerCase().split(",") ?? [];
    for (const name of ["x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]) {
      expect(exposed).toContain(name);
      expect(response.headers.get(name), name).not.toBeNull();
    }
    expect(exposed).toContain("retry-after");
    // An error is readable too (the script learns why), with the same headers.
    const refused = await fetch(`${server.base}/pdns/query/example.lu`, { headers: { origin: LOCAL } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(LOCAL);
    expect(((await refused.json()) as { code: string }).code).toBe("unauthorized");
    expect(refused.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
