/**
 * Every protected route × every kind of credential, over real HTTP: no credential, a bad token, a
 * revoked token, an expired token, a disabled user, a user of the wrong role and one of the right role.
 * The table of routes is checked against the app's own policy list, so a new route cannot skip it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/auth/accounts.js";
import { ROUTE_POLICIES } from "../src/http/app.js";
import { describeEachBackend } from "./helpers/backends.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

interface RouteCase {
  method: string;
  path: string;
  body?: string;
  /** The role the route is meant for, and one it refuses (none when every role may use it). */
  role: Role;
  wrongRole: Role | undefined;
  /** What the right role gets: the route's own answer, past access control. */
  status: number;
}

const SHA1 = "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8";
const MD5 = "e7d705a3286e19ea42f587b344ee6865";

const analyst = (path: string, status = 200): RouteCase => ({
  method: "GET",
  path,
  role: "analyst",
  wrongRole: "sensor",
  status,
});
const admin = (method: string, path: string, status: number, body?: string): RouteCase => ({
  method,
  path,
  role: "admin",
  wrongRole: "analyst",
  status,
  ...(body === undefined ? {} : { body }),
});

const ROUTES: RouteCase[] = [
  analyst("/pdns/query/example.lu"),
  analyst("/pdns/rcodes/example.lu"),
  {
    method: "POST",
    path: "/pdns/bulk",
    body: '["example.lu"]',
    role: "analyst",
    wrongRole: "sensor",
    status: 200,
  },
  analyst("/query/example.lu"),
  analyst("/fquery/192.0.2.1"),
  analyst("/info"),
  analyst("/v2pssl/query/192.0.2.1"),
  analyst(`/v2pssl/cquery/${SHA1}`),
  analyst(`/v2pssl/cfetch/${SHA1}`, 400),
  analyst("/v2pssl/sightings/192.0.2.1"),
  analyst(`/v2pssl/csightings/${SHA1}`),
  analyst(`/v2pssl/ja3/${MD5}`),
  analyst(`/v2pssl/ja3s/${MD5}`),
  analyst("/v2pssl/csearch/*.example.lu"),
  analyst("/pssl/query/192.0.2.1"),
  analyst("/dnsdb/v2/rate_limit"),
  analyst("/dnsdb/v2/lookup/rrset/name/example.lu"),
  analyst("/dnsdb/v2/summarize/rdata/ip/192.0.2.1"),
  admin("POST", "/admin/users", 201, '{"name":"newcomer","role":"analyst"}'),
  admin("GET", "/admin/users", 200),
  admin("GET", "/admin/users/alice", 200),
  admin("PATCH", "/admin/users/alice", 200, '{"role":"analyst"}'),
  admin("DELETE", "/admin/users/newcomer", 204),
  admin("POST", "/admin/users/alice/tokens", 201, '{"label":"table"}'),
  admin("GET", "/admin/users/alice/tokens", 200),
  admin("DELETE", "/admin/users/alice/tokens/0000000000000000", 404),
  admin("GET", "/admin/users/alice/quota", 200),
  admin("PUT", "/admin/users/alice/quota", 200, '{"results_max":1000}'),
  admin("GET", "/admin/audit?limit=5", 200),
  admin("POST", "/admin/jwt/rotate", 200),
  { method: "POST", path: "/auth/token", role: "analyst", wrongRole: undefined, status: 200 },
  { method: "GET", path: "/auth/me", role: "sensor", wrongRole: undefined, status: 200 },
  ...(["passivedns", "ja3-jl", "eve"] as const).map(
    (format): RouteCase => ({
      method: "POST",
      path: `/ingest/${format}`,
      body:
        format === "passivedns"
          ? "1700000000.1||10.0.0.1||10.0.0.2||IN||a.example.||A||192.0.2.1||60||1\n"
          : "",
      role: "sensor",
      wrongRole: "analyst",
      status: 200,
    }),
  ),
];

const CASES = [
  "no credential",
  "bad token",
  "revoked token",
  "expired token",
  "disabled user",
  "wrong role",
  "right role",
] as const;
type CredentialCase = (typeof CASES)[number];

const EXPECTED: Record<Exclude<CredentialCase, "right role">, number> = {
  "no credential": 401,
  "bad token": 401,
  "revoked token": 401,
  "expired token": 401,
  "disabled user": 401,
  "wrong role": 403,
};

describe("the route table", () => {
  it("names every protected path of the app", () => {
    const protectedPaths = ROUTE_POLICIES.map(([path]) => path);
    for (const path of protectedPaths) {
      const pattern = new RegExp(`^${path.replace(/\*/g, ".*")}$`);
      expect(
        ROUTES.some((route) => pattern.test(route.path.split("?")[0] as string)),
        `${path} has no row`,
      ).toBe(true);
    }
  });
});

describeEachBackend("access to every route", ({ backend }) => {
  let server: TestServer;
  /** Per role: the user name and a token for each credential case that needs one. */
  const credentials = new Map<Role, Partial<Record<CredentialCase, string>>>();

  /** Calls the admin API as the test server's admin (the CLI does the same, but one process per call). */
  async function adminCall(method: string, path: string, body?: object): Promise<Record<string, string>> {
    const response = await fetch(`${server.base}${path}`, {
      method,
      headers: { authorization: basic("root", server.adminToken) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    if (response.status === 204) return {};
    return (await response.json()) as Record<string, string>;
  }

  async function tokenFor(user: string, options: object = {}): Promise<{ id: string; token: string }> {
    const created = await adminCall("POST", `/admin/users/${user}/tokens`, options);
    return { id: created.id as string, token: created.token as string };
  }

  beforeAll(async () => {
    // Hundreds of deliberate failures from one address: keep the brute-force lockout out of this test.
    server = await startTestServer(backend, { authFailureLimit: "100000" });
    const users: Record<Role, string> = { admin: "root", analyst: "alice", sensor: "probe" };
    for (const role of ["admin", "analyst", "sensor"] as const) {
      const user = users[role];
      const revoked = await tokenFor(user, { label: "revoked" });
      await adminCall("DELETE", `/admin/users/${user}/tokens/${revoked.id}`);
      const disabledUser = `${user}-disabled`;
      await adminCall("POST", "/admin/users", { name: disabledUser, role });
      const disabled = await tokenFor(disabledUser);
      await adminCall("PATCH", `/admin/users/${disabledUser}`, { disabled: true });
      credentials.set(role, {
        "bad token": basic(user, `pps_${"0".repeat(16)}_${"A".repeat(43)}`),
        "revoked token": basic(user, revoked.token),
        "expired token": basic(user, (await tokenFor(user, { expires_in: 1 })).token),
        "disabled user": basic(disabledUser, disabled.token),
        "right role": basic(user, (await tokenFor(user)).token),
      });
    }
    // Let the one-second tokens expire.
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  function authorizationFor(route: RouteCase, kind: CredentialCase): string | undefined {
    if (kind === "no credential") return undefined;
    if (kind === "wrong role") return credentials.get(route.wrongRole as Role)?.["right role"];
    return credentials.get(route.role)?.[kind];
  }

  for (const route of ROUTES) {
    it(`${route.method} ${route.path}`, async () => {
      const seen: Record<string, number> = {};
      const wanted: Record<string, number> = {};
      for (const kind of CASES) {
        if (kind === "wrong role" && route.wrongRole === undefined) continue;
        const authorization = authorizationFor(route, kind);
        const headers: Record<string, string> = authorization ? { authorization } : {};
        const response = await fetch(`${server.base}${route.path}`, {
          method: route.method,
          headers,
          ...(route.body === undefined ? {} : { body: route.body }),
        });
        await response.arrayBuffer();
        seen[kind] = response.status;
        wanted[kind] = kind === "right role" ? route.status : EXPECTED[kind];
        if (response.status === 401) expect(response.headers.get("www-authenticate")).toMatch(/^Basic /);
      }
      expect(seen).toEqual(wanted);
    });
  }
});
