/**
 * Access control end to end (issue 4), as an operator and a client see it: the admin API, JWT exchange
 * and revocation, an external identity provider, quotas and burst limits (also across two server
 * processes sharing one Redis), brute-force lockout and the audit log. Real servers on loopback sockets,
 * real fetch, the real CLI for setup and ingest.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import {
  base64url,
  type CryptoKey,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts } from "../src/auth/accounts.js";
import { RateLimiter } from "../src/auth/quota.js";
import { loadConfig } from "../src/config.js";
import { startServer } from "../src/server.js";
import { openStore } from "../src/store/open-store.js";
import { openRedisStore } from "../src/store/redis-store.js";
import {
  BACKENDS,
  type BackendName,
  backendAvailable,
  deleteRedisPrefix,
  REDIS_URL,
  redisReachable,
  storeUrlOf,
  uniquePrefix,
} from "./helpers/backends.js";
import { runCli } from "./helpers/cli.js";
import { basic, parseNdjsonStrict } from "./helpers/http.js";
import { type ServerSettings, startTestServer, type TestServer } from "./helpers/test-server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SAMPLE = new URL("../../shared/samples/passivedns.txt", import.meta.url).pathname;
/** Our own JWT issuer and audience: the default origin. */
const ORIGIN = "pdns-pssl";
const IDP_ISSUER = "https://idp.example.test";
const IDP_AUDIENCE = "pdns-pssl-api";

// ---------------------------------------------------------------------------------------------------
// Small helpers

interface Call {
  method?: string;
  /** The Authorization header. */
  auth?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (Content-Type application/json unless headers say otherwise). */
  json?: unknown;
  /** Sent as it is. */
  body?: string;
}

function request(base: string, path: string, call: Call = {}): Promise<Response> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.auth !== undefined) headers.authorization = call.auth;
  let body = call.body;
  if (call.json !== undefined) {
    body = JSON.stringify(call.json);
    headers["content-type"] ??= "application/json";
  }
  return fetch(`${base}${path}`, { method: call.method ?? "GET", headers, body });
}

interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
}

/** Asserts the common error shape `{ code, message, requestId }`, its id also in X-Request-Id. */
async function expectError(res: Response, status: number, code?: string): Promise<ErrorBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text) as ErrorBody;
  expect(Object.keys(body).sort()).toEqual(["code", "message", "requestId"]);
  if (code !== undefined) expect(body.code).toBe(code);
  expect(body.message.length).toBeGreaterThan(0);
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  return body;
}

async function statusOf(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it returns a value, for at most `deadlineMs`. */
async function poll<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 3000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The public id of an API token `pps_<id>_<secret>`. */
function tokenIdOf(token: string): string {
  const id = token.split("_")[1];
  if (!id) throw new Error(`not an API token: ${token}`);
  return id;
}

/** The X-RateLimit-* headers as integers (asserting they are present and integers). */
function rateHeaders(res: Response): { limit: number; remaining: number; reset: number } {
  const read = (name: string) => {
    const value = res.headers.get(name);
    expect(value, name).toMatch(/^[0-9]+$/);
    return Number(value);
  };
  return {
    limit: read("x-ratelimit-limit"),
    remaining: read("x-ratelimit-remaining"),
    reset: read("x-ratelimit-reset"),
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Runs `action` while another Redis client holds the server busy for about `ms` milliseconds (a Lua
 * busy loop: Redis runs one script at a time), so whatever `action` sends to Redis waits that long.
 */
async function whileRedisBusy<T>(ms: number, action: () => Promise<T>): Promise<T> {
  const redis = new Redis(REDIS_URL);
  try {
    await redis.ping();
    const busy = redis.eval(
      `local t = redis.call('TIME')
       local start = tonumber(t[1]) * 1000000 + tonumber(t[2])
       while true do
         local n = redis.call('TIME')
         if tonumber(n[1]) * 1000000 + tonumber(n[2]) - start > tonumber(ARGV[1]) then break end
       end
       return 1`,
      0,
      String(ms * 1000),
    );
    // Let the script start before the action's commands arrive.
    await sleep(5);
    const result = await action();
    await busy;
    return result;
  } finally {
    redis.disconnect();
  }
}

/** A JWT's segments re-assembled with a changed header or payload (the signature kept as it was). */
function reassemble(header: object, payload: object, signature: string): string {
  const encode = (part: object) => base64url.encode(JSON.stringify(part));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(segment))) as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------
// A stand-in identity provider: a JWKS served over HTTP, and tokens signed with its key.

interface Idp {
  jwksUrl: string;
  /** Signs a token with the published key (or, with `rogue`, an unpublished key under another kid). */
  sign(
    claims: JWTPayload,
    options?: { issuer?: string; audience?: string; exp?: number; rogue?: boolean },
  ): Promise<string>;
  close(): Promise<void>;
}

async function startIdp(): Promise<Idp> {
  const published = await generateKeyPair("ES256", { extractable: true });
  const rogue = await generateKeyPair("ES256");
  const jwks = {
    keys: [{ ...(await exportJWK(published.publicKey)), kid: "idp-key-1", alg: "ES256", use: "sig" }],
  };
  const server: Server = createServer((req, res) => {
    if (req.url === "/.well-known/jwks.json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(jwks));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("IdP has no address");
  return {
    jwksUrl: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    async sign(claims, options = {}) {
      const key: CryptoKey = options.rogue ? rogue.privateKey : published.privateKey;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: options.rogue ? "idp-key-rogue" : "idp-key-1", typ: "JWT" })
        .setIssuer(options.issuer ?? IDP_ISSUER)
        .setAudience(options.audience ?? IDP_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.exp ?? nowSeconds() + 600)
        .sign(key);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// A server with one analyst (alice) created in-process: no CLI round trips, for the brute-force suites
// that need servers of their own settings (each startTestServer costs several CLI processes).

interface BareServer {
  base: string;
  aliceToken: string;
  close(): Promise<void>;
}

async function startBareServer(backend: BackendName, settings: ServerSettings): Promise<BareServer> {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  if (backend === "lmdb") {
    const dir = await mkdtemp(join(tmpdir(), "pp-access-"));
    env = { PDNS_PSSL_STORE: "embedded", PDNS_PSSL_DATA_DIR: dir };
    cleanup = () => rm(dir, { recursive: true, force: true });
  } else {
    const prefix = uniquePrefix();
    const url = storeUrlOf(backend);
    env = { PDNS_PSSL_STORE: url, PDNS_PSSL_KEY_PREFIX: prefix };
    cleanup = () => deleteRedisPrefix(prefix, url);
  }
  const config = loadConfig({ listen: "127.0.0.1:0", ...settings }, env);
  const store = await openStore(config);
  let aliceToken: string;
  try {
    const accounts = new Accounts(store);
    await accounts.addUser("root", "admin");
    await accounts.addUser("alice", "analyst");
    aliceToken = (await accounts.createToken("alice", "test")).token;
  } finally {
    await store.close();
  }
  const server = await startServer(config);
  return {
    base: `http://127.0.0.1:${server.port}`,
    aliceToken,
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

// ---------------------------------------------------------------------------------------------------

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`HTTP access control [${backend}]`, () => {
    let idp: Idp;
    let server: TestServer;
    let base = "";
    let adminAuth = "";
    let aliceAuth = "";
    let probeAuth = "";

    const call = (path: string, c: Call = {}) => request(base, path, c);
    const admin = (path: string, c: Call = {}) => request(base, path, { auth: adminAuth, ...c });

    /** Creates a user and a token for it over the admin API; returns the Basic header and the token. */
    async function newUser(
      name: string,
      role: "admin" | "analyst" | "sensor" = "analyst",
      quota?: Record<string, number | null>,
    ): Promise<{ auth: string; token: string; id: string }> {
      expect(await statusOf(await admin("/admin/users", { method: "POST", json: { name, role } }))).toBe(201);
      if (quota) {
        const res = await admin(`/admin/users/${name}/quota`, { method: "PUT", json: quota });
        expect(res.status, await res.clone().text()).toBe(200);
      }
      const res = await admin(`/admin/users/${name}/tokens`, { method: "POST", json: { label: "t" } });
      expect(res.status).toBe(201);
      const created = (await res.json()) as { token: string; id: string };
      return { auth: basic(name, created.token), token: created.token, id: created.id };
    }

    beforeAll(async () => {
      idp = await startIdp();
      server = await startTestServer(backend, {
        idpIssuer: IDP_ISSUER,
        idpAudience: IDP_AUDIENCE,
        idpJwksUrl: idp.jwksUrl,
        // The suites below send many bad credentials on purpose; the lockout has its own suite.
        authFailureLimit: "1000000",
      });
      base = server.base;
      adminAuth = basic("root", server.adminToken);
      aliceAuth = basic("alice", server.analystToken);
      probeAuth = basic("probe", server.sensorToken);
      const ingest = await server.cli("ingest", "passivedns", SAMPLE, "--sensor-id", "sensor-1", "--json");
      expect(JSON.parse(ingest.stdout)).toMatchObject({ lines: 216, records: 206 });
    }, 60_000);

    afterAll(async () => {
      await server?.close();
      await idp?.close();
    });

    // -----------------------------------------------------------------------------------------------
    describe("admin API", () => {
      it("creates a user (201) and refuses a duplicate (409), a bad role, a bad name or a non-JSON body (400)", async () => {
        const res = await admin("/admin/users", { method: "POST", json: { name: "carol", role: "analyst" } });
        expect(res.status).toBe(201);
        const created = (await res.json()) as Record<string, unknown>;
        expect(created).toMatchObject({ name: "carol", role: "analyst", disabled: false, quota: {} });
        expect(created.limits).toEqual({
          daily: null,
          burst_size: null,
          burst_window: 60,
          results_max: null,
        });
        expect(Date.parse(created.created_at as string)).toBeGreaterThan(Date.now() - 60_000);

        const dup = await admin("/admin/users", { method: "POST", json: { name: "carol", role: "sensor" } });
        await expectError(dup, 409, "user_exists");
        const badRole = await admin("/admin/users", {
          method: "POST",
          json: { name: "x1", role: "superuser" },
        });
        expect((await expectError(badRole, 400, "bad_request")).message).toMatch(/role/);
        const badName = await admin("/admin/users", {
          method: "POST",
          json: { name: "no spaces", role: "analyst" },
        });
        await expectError(badName, 400, "invalid_name");
        const unknownField = await admin("/admin/users", {
          method: "POST",
          json: { name: "x2", role: "analyst", password: "hunter2" },
        });
        await expectError(unknownField, 400, "bad_request");
        const notJson = await admin("/admin/users", {
          method: "POST",
          body: "name=x3&role=analyst",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect((await expectError(notJson, 400, "bad_request")).message).toMatch(/JSON/);
        // None of the refused ones was created.
        for (const name of ["x1", "x2", "x3"]) {
          await expectError(await admin(`/admin/users/${name}`), 404, "no_such_user");
        }
      });

      it("accepts a JSON body sent the curl -d way (application/x-www-form-urlencoded)", async () => {
        const res = await admin("/admin/users", {
          method: "POST",
          body: '{"name":"dave","role":"sensor"}',
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        expect(res.status).toBe(201);
        expect(await res.json()).toMatchObject({ name: "dave", role: "sensor" });
      });

      it("lists users and shows one; 404 for an unknown one", async () => {
        const list = await admin("/admin/users");
        expect(list.status).toBe(200);
        const { users } = (await list.json()) as { users: Array<{ name: string; role: string }> };
        const names = users.map((u) => u.name);
        expect(names).toEqual([...names].sort());
        expect(users).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: "root", role: "admin" }),
            expect.objectContaining({ name: "alice", role: "analyst" }),
            expect.objectContaining({ name: "probe", role: "sensor" }),
            expect.objectContaining({ name: "carol", role: "analyst" }),
          ]),
        );
        const one = await admin("/admin/users/alice");
        expect(one.status).toBe(200);
        expect(await one.json()).toMatchObject({ name: "alice", role: "analyst", disabled: false });
        await expectError(await admin("/admin/users/nobody-here"), 404, "no_such_user");
      });

      it("keeps the admin API to admins: 401 without credentials, 403 for an analyst or a sensor", async () => {
        await expectError(await call("/admin/users"), 401, "unauthorized");
        await expectError(await call("/admin/users", { auth: aliceAuth }), 403, "forbidden");
        await expectError(await call("/admin/users", { auth: probeAuth }), 403, "forbidden");
        const sneaky = await call("/admin/users", {
          method: "POST",
          auth: aliceAuth,
          json: { name: "mallory", role: "admin" },
        });
        await expectError(sneaky, 403, "forbidden");
        await expectError(await admin("/admin/users/mallory"), 404);
      });

      it("issues a token shown once, lists it without its secret, and records its last use", async () => {
        const res = await admin("/admin/users/carol/tokens", {
          method: "POST",
          json: { label: "laptop", expires_in: "30d" },
        });
        expect(res.status).toBe(201);
        const created = (await res.json()) as Record<string, string>;
        expect(created).toMatchObject({ user: "carol", label: "laptop" });
        expect(created.token).toMatch(/^pps_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
        expect(tokenIdOf(created.token as string)).toBe(created.id);
        const expires = Date.parse(created.expires_at as string);
        expect(Math.abs(expires - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);

        const listed = await admin("/admin/users/carol/tokens");
        expect(listed.status).toBe(200);
        const text = await listed.text();
        const secret = (created.token as string).split("_")[2] as string;
        expect(text).not.toContain(secret);
        const { tokens } = JSON.parse(text) as { tokens: Array<Record<string, unknown>> };
        const mine = tokens.find((t) => t.id === created.id);
        expect(mine).toBeDefined();
        expect(Object.keys(mine ?? {}).sort()).toEqual([
          "created_at",
          "expires_at",
          "id",
          "label",
          "last_used_at",
        ]);
        expect(mine).toMatchObject({ label: "laptop", last_used_at: null, expires_at: created.expires_at });

        const auth = basic("carol", created.token as string);
        expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        const used = await poll("last_used_at to be set", async () => {
          const { tokens: now } = (await (await admin("/admin/users/carol/tokens")).json()) as {
            tokens: Array<{ id: string; last_used_at: string | null }>;
          };
          return now.find((t) => t.id === created.id && t.last_used_at !== null)?.last_used_at ?? undefined;
        });
        expect(Math.abs(Date.parse(used) - Date.now())).toBeLessThan(60_000);

        const badExpiry = await admin("/admin/users/carol/tokens", {
          method: "POST",
          json: { expires_in: "soon" },
        });
        await expectError(badExpiry, 400, "bad_request");
        const noUser = await admin("/admin/users/nobody-here/tokens", { method: "POST", json: {} });
        await expectError(noUser, 404, "no_such_user");
      });

      it("refuses a deleted token on the very next request", async () => {
        const { auth, id } = await newUser("erin");
        expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        // A token is revoked only under its own user: another user's name gets 404 and changes nothing.
        await expectError(
          await admin(`/admin/users/alice/tokens/${id}`, { method: "DELETE" }),
          404,
          "no_such_token",
        );
        expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        const del = await admin(`/admin/users/erin/tokens/${id}`, { method: "DELETE" });
        expect(del.status).toBe(204);
        expect(await del.text()).toBe("");
        await expectError(await call("/pdns/query/example.lu", { auth }), 401, "unauthorized");
        // Gone from the listing; deleting it again is a 404.
        const { tokens } = (await (await admin("/admin/users/erin/tokens")).json()) as { tokens: unknown[] };
        expect(tokens).toEqual([]);
        await expectError(
          await admin(`/admin/users/erin/tokens/${id}`, { method: "DELETE" }),
          404,
          "no_such_token",
        );
      });

      it("changes a role with PATCH, effective on the next request", async () => {
        const { auth } = await newUser("gina");
        expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        const demoted = await admin("/admin/users/gina", { method: "PATCH", json: { role: "sensor" } });
        expect(demoted.status).toBe(200);
        expect(await demoted.json()).toMatchObject({ name: "gina", role: "sensor", disabled: false });
        await expectError(await call("/pdns/query/example.lu", { auth }), 403, "forbidden");
        expect(
          await statusOf(await admin("/admin/users/gina", { method: "PATCH", json: { role: "analyst" } })),
        ).toBe(200);
        expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);

        await expectError(
          await admin("/admin/users/gina", { method: "PATCH", json: {} }),
          400,
          "bad_request",
        );
        await expectError(
          await admin("/admin/users/gina", { method: "PATCH", json: { role: "root" } }),
          400,
          "bad_request",
        );
        await expectError(
          await admin("/admin/users/nobody-here", { method: "PATCH", json: { disabled: true } }),
          404,
          "no_such_user",
        );
      });

      it("disabling a user stops all their tokens at once; re-enabling restores them", async () => {
        const first = await newUser("hank");
        const second = await admin("/admin/users/hank/tokens", { method: "POST", json: { label: "second" } });
        const secondAuth = basic("hank", ((await second.json()) as { token: string }).token);
        for (const auth of [first.auth, secondAuth]) {
          expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        }
        const off = await admin("/admin/users/hank", { method: "PATCH", json: { disabled: true } });
        expect(off.status).toBe(200);
        expect(await off.json()).toMatchObject({ name: "hank", disabled: true });
        for (const auth of [first.auth, secondAuth, first.token]) {
          await expectError(await call("/pdns/query/example.lu", { auth }), 401, "unauthorized");
        }
        expect(
          await statusOf(await admin("/admin/users/hank", { method: "PATCH", json: { disabled: false } })),
        ).toBe(200);
        for (const auth of [first.auth, secondAuth]) {
          expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        }
      });

      it("deleting a user answers 204 and refuses their tokens", async () => {
        const { auth, token } = await newUser("ivan");
        expect(await statusOf(await call("/pdns/query/example.lu", { auth }))).toBe(200);
        const del = await admin("/admin/users/ivan", { method: "DELETE" });
        expect(del.status).toBe(204);
        await expectError(await call("/pdns/query/example.lu", { auth }), 401, "unauthorized");
        await expectError(await call("/pdns/query/example.lu", { auth: token }), 401, "unauthorized");
        await expectError(await admin("/admin/users/ivan"), 404, "no_such_user");
        await expectError(await admin("/admin/users/ivan", { method: "DELETE" }), 404, "no_such_user");
        // A new user of the same name does not inherit the old tokens.
        expect(await statusOf(await admin("/admin/users", { method: "POST", json: { name: "ivan" } }))).toBe(
          201,
        );
        await expectError(await call("/pdns/query/example.lu", { auth }), 401, "unauthorized");
      });

      it("refuses (409) to delete, disable or demote the last enabled admin", async () => {
        await expectError(await admin("/admin/users/root", { method: "DELETE" }), 409, "last_admin");
        await expectError(
          await admin("/admin/users/root", { method: "PATCH", json: { role: "analyst" } }),
          409,
          "last_admin",
        );
        await expectError(
          await admin("/admin/users/root", { method: "PATCH", json: { disabled: true } }),
          409,
          "last_admin",
        );
        // Root is untouched and still administers.
        const root = await admin("/admin/users/root");
        expect(root.status).toBe(200);
        expect(await root.json()).toMatchObject({ role: "admin", disabled: false });

        // With a second admin, one of the two may go; then the remaining one is the last again.
        const { auth: otherAuth } = await newUser("admin2", "admin");
        expect(await statusOf(await call("/admin/users", { auth: otherAuth }))).toBe(200);
        expect(await statusOf(await admin("/admin/users/admin2", { method: "DELETE" }))).toBe(204);
        await expectError(await admin("/admin/users/root", { method: "DELETE" }), 409, "last_admin");
        // A disabled admin does not count as another one.
        await newUser("admin3", "admin");
        expect(
          await statusOf(await admin("/admin/users/admin3", { method: "PATCH", json: { disabled: true } })),
        ).toBe(200);
        await expectError(
          await admin("/admin/users/root", { method: "PATCH", json: { role: "sensor" } }),
          409,
          "last_admin",
        );
        expect(await statusOf(await admin("/admin/users/admin3", { method: "DELETE" }))).toBe(204);
      });
    });

    // -----------------------------------------------------------------------------------------------
    describe("JWT exchange", () => {
      let user: { auth: string; token: string; id: string };
      let jwt = "";

      const exchange = async (auth: string, json?: unknown) => {
        const res = await call("/auth/token", {
          method: "POST",
          auth,
          ...(json === undefined ? {} : { json }),
        });
        expect(res.status, await res.clone().text()).toBe(200);
        return (await res.json()) as { token: string; token_type: string; expires_at: string };
      };
      const bearer = (token: string) => `Bearer ${token}`;

      beforeAll(async () => {
        user = await newUser("jules");
      });

      it("exchanges Basic user:token for a bearer JWT that works on a query route", async () => {
        const issued = await exchange(user.auth);
        expect(Object.keys(issued).sort()).toEqual(["expires_at", "token", "token_type"]);
        expect(issued.token_type).toBe("Bearer");
        expect(issued.token.split(".")).toHaveLength(3);
        // The default lifetime: 900 s.
        expect(Math.abs(Date.parse(issued.expires_at) - (Date.now() + 900_000))).toBeLessThan(10_000);
        jwt = issued.token;
        const res = await call("/pdns/query/example.lu", { auth: bearer(jwt) });
        expect(res.status).toBe(200);
        expect(parseNdjsonStrict(await res.text()).length).toBeGreaterThan(8);
        // A bare token (no scheme) exchanges too; a lifetime beyond the maximum is shortened to it.
        const long = await exchange(user.token, { expires_in: "48h" });
        expect(Date.parse(long.expires_at)).toBeLessThanOrEqual(Date.now() + 3600_000 + 5_000);
        const short = await exchange(user.auth, { expires_in: 60 });
        expect(Math.abs(Date.parse(short.expires_at) - (Date.now() + 60_000))).toBeLessThan(10_000);
        await expectError(
          await call("/auth/token", { method: "POST", auth: user.auth, json: { expires_in: "forever" } }),
          400,
          "bad_request",
        );
        await expectError(await call("/auth/token", { method: "POST" }), 401, "unauthorized");
      });

      it("refuses to exchange a JWT for another (400)", async () => {
        const res = await call("/auth/token", { method: "POST", auth: bearer(jwt) });
        expect((await expectError(res, 400, "bad_request")).message).toMatch(/JWT/);
      });

      it("publishes the keys at /auth/jwks.json without authentication, and they verify the JWT", async () => {
        const res = await call("/auth/jwks.json");
        expect(res.status).toBe(200);
        const jwks = (await res.json()) as JSONWebKeySet;
        expect(jwks.keys.length).toBeGreaterThan(0);
        for (const key of jwks.keys) {
          expect(key).not.toHaveProperty("d");
          expect(key).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
        }
        const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), {
          issuer: ORIGIN,
          audience: ORIGIN,
        });
        expect(payload).toMatchObject({ sub: "jules", tid: user.id });
        expect(jwks.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
      });

      it("refuses a tampered JWT and an alg:none JWT (401)", async () => {
        const [h, p, s] = jwt.split(".") as [string, string, string];
        const header = decodeSegment(h);
        const payload = decodeSegment(p);
        // A later expiry under the original signature.
        const longer = reassemble(header, { ...payload, exp: (payload.exp as number) + 86_400 }, s);
        await expectError(
          await call("/pdns/query/example.lu", { auth: bearer(longer) }),
          401,
          "unauthorized",
        );
        // Another user under the original signature.
        const other = reassemble(header, { ...payload, sub: "root" }, s);
        await expectError(await call("/admin/users", { auth: bearer(other) }), 401, "unauthorized");
        // A damaged signature (first character: the last one may only carry padding bits).
        const flipped = `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`;
        await expectError(
          await call("/pdns/query/example.lu", { auth: bearer(flipped) }),
          401,
          "unauthorized",
        );
        // Unsigned, with and without a known kid.
        const none = reassemble({ alg: "none", typ: "JWT", kid: header.kid }, payload, "");
        await expectError(await call("/pdns/query/example.lu", { auth: bearer(none) }), 401, "unauthorized");
        const noneNoKid = reassemble({ alg: "none", typ: "JWT" }, payload, "");
        await expectError(
          await call("/pdns/query/example.lu", { auth: bearer(noneNoKid) }),
          401,
          "unauthorized",
        );
        // The untouched one still works.
        expect(await statusOf(await call("/pdns/query/example.lu", { auth: bearer(jwt) }))).toBe(200);
      });

      it("rotating the signing key keeps old JWTs valid and signs new ones under a new kid", async () => {
        const oldKid = decodeProtectedHeader(jwt).kid;
        const rotated = await admin("/admin/jwt/rotate", { method: "POST" });
        expect(rotated.status).toBe(200);
        const { kid } = (await rotated.json()) as { kid: string };
        expect(kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(kid).not.toBe(oldKid);
        expect(await statusOf(await call("/pdns/query/example.lu", { auth: bearer(jwt) }))).toBe(200);
        const fresh = (await exchange(user.auth)).token;
        expect(decodeProtectedHeader(fresh).kid).toBe(kid);
        expect(await statusOf(await call("/pdns/query/example.lu", { auth: bearer(fresh) }))).toBe(200);
        const jwks = (await (await call("/auth/jwks.json")).json()) as JSONWebKeySet;
        const kids = jwks.keys.map((k) => k.kid);
        expect(kids).toContain(kid);
        expect(kids).toContain(oldKid);
        await jwtVerify(fresh, createLocalJWKSet(jwks), { issuer: ORIGIN, audience: ORIGIN });
        // Only admins rotate.
        await expectError(
          await call("/admin/jwt/rotate", { method: "POST", auth: aliceAuth }),
          403,
          "forbidden",
        );
      });

      it("a JWT follows its user: refused while the user is disabled, role changes apply at once", async () => {
        const fresh = (await exchange(user.auth)).token;
        expect(
          await statusOf(await admin("/admin/users/jules", { method: "PATCH", json: { disabled: true } })),
        ).toBe(200);
        await expectError(await call("/pdns/query/example.lu", { auth: bearer(fresh) }), 401, "unauthorized");
        expect(
          await statusOf(await admin("/admin/users/jules", { method: "PATCH", json: { disabled: false } })),
        ).toBe(200);
        expect(await statusOf(await call("/pdns/query/example.lu", { auth: bearer(fresh) }))).toBe(200);
        expect(
          await statusOf(await admin("/admin/users/jules", { method: "PATCH", json: { role: "sensor" } })),
        ).toBe(200);
        await expectError(await call("/pdns/query/example.lu", { auth: bearer(fresh) }), 403, "forbidden");
        expect(
          await statusOf(await admin("/admin/users/jules", { method: "PATCH", json: { role: "analyst" } })),
        ).toBe(200);
      });

      it("lets any role exchange; a sensor's JWT still may not query", async () => {
        const issued = await exchange(probeAuth);
        await expectError(
          await call("/pdns/query/example.lu", { auth: bearer(issued.token) }),
          403,
          "forbidden",
        );
      });

      it("a JWT stops working when the API token it came from expires", async () => {
        const created = await admin("/admin/users/jules/tokens", { method: "POST", json: { expires_in: 1 } });
        expect(created.status).toBe(201);
        const { token } = (await created.json()) as { token: string };
        const issued = await exchange(basic("jules", token));
        expect(await statusOf(await call("/pdns/query/example.lu", { auth: bearer(issued.token) }))).toBe(
          200,
        );
        await sleep(1100);
        await expectError(
          await call("/pdns/query/example.lu", { auth: basic("jules", token) }),
          401,
          "unauthorized",
        );
        await expectError(
          await call("/pdns/query/example.lu", { auth: bearer(issued.token) }),
          401,
          "unauthorized",
        );
      });

      it("revoking the API token a JWT came from refuses the JWT at once", async () => {
        const fresh = (await exchange(user.auth)).token;
        expect(await statusOf(await call("/pdns/query/example.lu", { auth: bearer(fresh) }))).toBe(200);
        expect(
          await statusOf(await admin(`/admin/users/jules/tokens/${user.id}`, { method: "DELETE" })),
        ).toBe(204);
        for (const token of [fresh, jwt]) {
          await expectError(
            await call("/pdns/query/example.lu", { auth: bearer(token) }),
            401,
            "unauthorized",
          );
        }
      });
    });

    // -----------------------------------------------------------------------------------------------
    describe("external identity provider", () => {
      const query = (token: string) => call("/pdns/query/example.lu", { auth: `Bearer ${token}` });

      it("lets an IdP analyst query (200) and refuses an IdP sensor (403)", async () => {
        const analyst = await query(await idp.sign({ sub: "kate", role: "analyst" }));
        expect(analyst.status).toBe(200);
        expect(parseNdjsonStrict(await analyst.text()).length).toBeGreaterThan(8);
        // A list of roles: the most privileged valid one counts.
        expect(
          await statusOf(await query(await idp.sign({ sub: "kate", role: ["sensor", "analyst"] }))),
        ).toBe(200);
        await expectError(await query(await idp.sign({ sub: "kate", role: "sensor" })), 403, "forbidden");
        // An IdP token is not exchanged for one of ours.
        const token = await idp.sign({ sub: "kate", role: "analyst" });
        await expectError(
          await call("/auth/token", { method: "POST", auth: `Bearer ${token}` }),
          400,
          "bad_request",
        );
      });

      it("refuses a wrong audience, a wrong issuer, an unknown kid, an expired token or no role (401)", async () => {
        const claims = { sub: "kate", role: "analyst" };
        const cases: Record<string, string> = {
          audience: await idp.sign(claims, { audience: "someone-else" }),
          issuer: await idp.sign(claims, { issuer: "https://evil.example.test" }),
          ourIssuer: await idp.sign(claims, { issuer: ORIGIN, audience: ORIGIN }),
          kid: await idp.sign(claims, { rogue: true }),
          expired: await idp.sign(claims, { exp: nowSeconds() - 120 }),
          noRole: await idp.sign({ sub: "kate" }),
          badRole: await idp.sign({ sub: "kate", role: "superuser" }),
          noSub: await idp.sign({ role: "analyst" }),
          badSub: await idp.sign({ sub: "not a valid name", role: "analyst" }),
        };
        for (const [name, token] of Object.entries(cases)) {
          const res = await query(token);
          expect(res.status, name).toBe(401);
          await res.arrayBuffer();
        }
      });

      it("refuses an IdP token for a local user who is disabled", async () => {
        const token = await idp.sign({ sub: "leo", role: "analyst" });
        await newUser("leo");
        expect(await statusOf(await query(token))).toBe(200);
        expect(
          await statusOf(await admin("/admin/users/leo", { method: "PATCH", json: { disabled: true } })),
        ).toBe(200);
        await expectError(await query(token), 401, "unauthorized");
      });
    });

    // -----------------------------------------------------------------------------------------------
    describe("quotas and burst limits", () => {
      const query = (auth: string, path = "/pdns/query/example.lu") => call(path, { auth });

      it("answers the 4th query of a burst of 3 with 429, Retry-After and X-RateLimit-* headers", async () => {
        const { auth } = await newUser("burst-user");
        const put = await admin("/admin/users/burst-user/quota", {
          method: "PUT",
          json: { burst_size: 3, burst_window: 60 },
        });
        expect(put.status).toBe(200);
        expect(await put.json()).toEqual({
          quota: { burst_size: 3, burst_window: 60 },
          limits: { daily: null, burst_size: 3, burst_window: 60, results_max: null },
        });
        const remaining: number[] = [];
        for (let i = 0; i < 3; i++) {
          const res = await query(auth);
          expect(res.status).toBe(200);
          const headers = rateHeaders(res);
          expect(headers.limit).toBe(3);
          expect(headers.reset).toBeGreaterThanOrEqual(nowSeconds());
          expect(headers.reset).toBeLessThanOrEqual(nowSeconds() + 61);
          remaining.push(headers.remaining);
          await res.arrayBuffer();
        }
        expect(remaining).toEqual([2, 1, 0]);
        const refused = await query(auth);
        const retryAfter = refused.headers.get("retry-after");
        expect(retryAfter).toMatch(/^[0-9]+$/);
        expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(retryAfter)).toBeLessThanOrEqual(60);
        expect(rateHeaders(refused)).toMatchObject({ limit: 3, remaining: 0 });
        expect((await expectError(refused, 429, "quota_exceeded")).message).toMatch(/slow down/);
        // Another user is not affected, and one with no limit gets no X-RateLimit headers.
        const other = await query(aliceAuth);
        expect(other.status).toBe(200);
        expect(other.headers.get("x-ratelimit-limit")).toBeNull();
        await other.arrayBuffer();
      });

      it("answers the query beyond a daily quota of 2 with 429 naming the daily quota", async () => {
        const { auth } = await newUser("daily-user", "analyst", { daily: 2 });
        const first = await query(auth);
        expect(first.status).toBe(200);
        expect(rateHeaders(first)).toMatchObject({ limit: 2, remaining: 1 });
        await first.arrayBuffer();
        const second = await query(auth, "/query/example.lu");
        expect(second.status).toBe(200);
        expect(rateHeaders(second)).toMatchObject({ limit: 2, remaining: 0 });
        await second.arrayBuffer();
        const refused = await query(auth, "/fquery/ns1.example.lu");
        const headers = rateHeaders(refused);
        const midnight = Math.ceil((Math.floor(Date.now() / 86_400_000) + 1) * 86_400);
        expect(headers).toMatchObject({ limit: 2, remaining: 0 });
        expect(Math.abs(headers.reset - midnight)).toBeLessThanOrEqual(2);
        const retryAfter = Number(refused.headers.get("retry-after"));
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(86_400);
        const body = await expectError(refused, 429, "quota_exceeded");
        expect(body.message).toMatch(/daily/);
        expect(body.message).toMatch(/00:00 UTC/);
      });

      it("caps answers at results_max: /pdns/query pages with a cursor, D4 /query and /fquery truncate", async () => {
        const { auth } = await newUser("capped-user", "analyst", { results_max: 2 });
        const all = parseNdjsonStrict(await (await query(aliceAuth)).text());
        expect(all.length).toBeGreaterThan(4);

        const first = await query(auth);
        expect(first.status).toBe(200);
        const cursor = first.headers.get("x-dribble-cursor");
        expect(cursor).toMatch(/^[1-9][0-9]*$/);
        const page1 = parseNdjsonStrict(await first.text());
        expect(page1).toEqual(all.slice(0, 2));
        const next = await call("/pdns/query/example.lu", {
          auth,
          headers: { "dribble-paginate-cursor": cursor as string, "dribble-paginate-count": "50" },
        });
        expect(parseNdjsonStrict(await next.text())).toEqual(all.slice(2, 4));
        const smaller = await call("/pdns/query/example.lu", {
          auth,
          headers: { "dribble-paginate-count": "1" },
        });
        expect(parseNdjsonStrict(await smaller.text())).toEqual(all.slice(0, 1));

        const d4All = parseNdjsonStrict(await (await query(aliceAuth, "/query/example.lu")).text());
        expect(d4All).toHaveLength(10);
        const d4 = await query(auth, "/query/example.lu");
        expect(d4.status).toBe(200);
        const d4Lines = parseNdjsonStrict(await d4.text());
        expect(d4Lines).toHaveLength(2);
        expect(d4All).toEqual(expect.arrayContaining(d4Lines));
        const fAll = parseNdjsonStrict(await (await query(aliceAuth, "/fquery/ns1.example.lu")).text());
        expect(fAll.length).toBeGreaterThan(2);
        const f = parseNdjsonStrict(await (await query(auth, "/fquery/ns1.example.lu")).text());
        expect(f).toHaveLength(2);
      });

      it("validates quota settings and shows them with GET", async () => {
        await newUser("quota-check");
        for (const json of [
          { daily: 0 },
          { daily: "10" },
          { burst_window: 0 },
          { burst_window: 86_401 },
          { monthly: 5 },
        ]) {
          const res = await admin("/admin/users/quota-check/quota", { method: "PUT", json });
          await expectError(res, 400, "bad_request");
        }
        await expectError(
          await admin("/admin/users/nobody-here/quota", { method: "PUT", json: { daily: 5 } }),
          404,
          "no_such_user",
        );
        const put = await admin("/admin/users/quota-check/quota", {
          method: "PUT",
          json: { daily: 5, results_max: null },
        });
        expect(put.status).toBe(200);
        const shown = await admin("/admin/users/quota-check/quota");
        expect(await shown.json()).toEqual({
          quota: { daily: 5, results_max: null },
          limits: { daily: 5, burst_size: null, burst_window: 60, results_max: null },
        });
        // PUT replaces: an empty quota is back to the defaults.
        expect(
          await statusOf(await admin("/admin/users/quota-check/quota", { method: "PUT", json: {} })),
        ).toBe(200);
        expect(
          ((await (await admin("/admin/users/quota-check")).json()) as { quota: unknown }).quota,
        ).toEqual({});
      });

      it("reports the daily quota's reset as the next UTC midnight", async () => {
        const { auth, token } = await newUser("midnight-user", "analyst", { daily: 1000 });
        const midnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400;
        const resets: number[] = [];
        for (let i = 0; i < 4; i++) {
          const res = await query(auth);
          resets.push(rateHeaders(res).reset);
          await res.arrayBuffer();
          const standing = await call("/dnsdb/v2/rate_limit", { headers: { "x-api-key": token } });
          resets.push(((await standing.json()) as { rate: { reset: number } }).rate.reset);
        }
        expect(resets.map((reset) => reset - midnight)).toEqual(resets.map(() => 0));
      });

      it("reports the caller's standing at /dnsdb/v2/rate_limit (X-API-Key) without counting it", async () => {
        const limited = await newUser("standing-user", "analyst", {
          daily: 2,
          burst_size: 5,
          burst_window: 30,
          results_max: 100,
        });
        const expiring = await admin("/admin/users/standing-user/tokens", {
          method: "POST",
          json: { expires_in: 3600 },
        });
        const expiringToken = ((await expiring.json()) as { token: string }).token;
        const rateOf = async (token: string) => {
          const res = await call("/dnsdb/v2/rate_limit", {
            headers: { "x-api-key": token, accept: "application/x-ndjson" },
          });
          expect(res.status).toBe(200);
          return { res, rate: ((await res.json()) as { rate: Record<string, unknown> }).rate };
        };

        // Asked three times: nothing is counted.
        for (let i = 0; i < 3; i++) {
          const { res, rate } = await rateOf(limited.token);
          expect(rate).toMatchObject({
            limit: 2,
            remaining: 2,
            expires: "n/a",
            results_max: 100,
            offset_max: "n/a",
            burst_size: 5,
            burst_window: 30,
          });
          expect(Number.isInteger(rate.reset)).toBe(true);
          expect(Number.isInteger(rate.burst_size)).toBe(true);
          expect(Number.isInteger(rate.burst_window)).toBe(true);
          expect(rateHeaders(res)).toMatchObject({ limit: 2, remaining: 2 });
        }
        const withExpiry = (await rateOf(expiringToken)).rate;
        expect(Number.isInteger(withExpiry.expires)).toBe(true);
        expect(Math.abs((withExpiry.expires as number) - (nowSeconds() + 3600))).toBeLessThanOrEqual(5);

        expect(await statusOf(await query(limited.auth))).toBe(200);
        expect((await rateOf(limited.token)).rate.remaining).toBe(1);
        expect(await statusOf(await query(limited.auth))).toBe(200);
        expect((await rateOf(limited.token)).rate.remaining).toBe(0);
        expect(await statusOf(await query(limited.auth))).toBe(429);
        // Still answered once the quota is spent.
        expect((await rateOf(limited.token)).rate).toMatchObject({ limit: 2, remaining: 0 });

        // No limits at all: "unlimited" and "n/a", no burst fields, no X-RateLimit headers.
        const { res, rate } = await rateOf(server.analystToken);
        expect(rate).toEqual({
          reset: "n/a",
          expires: "n/a",
          limit: "unlimited",
          remaining: "n/a",
          results_max: "n/a",
          offset_max: "n/a",
        });
        expect(res.headers.get("x-ratelimit-limit")).toBeNull();

        await expectError(await call("/dnsdb/v2/rate_limit"), 401, "unauthorized");
        await expectError(
          await call("/dnsdb/v2/rate_limit", { headers: { "x-api-key": server.sensorToken } }),
          403,
        );
      });
    });

    // -----------------------------------------------------------------------------------------------
    describe("brute-force lockout", () => {
      let direct: BareServer;
      let proxied: BareServer;
      const bad = basic("alice", `pps_0123456789abcdef_${"A".repeat(43)}`);

      beforeAll(async () => {
        const lockout = { authFailureLimit: "3", authFailureWindow: "60" };
        direct = await startBareServer(backend, lockout);
        proxied = await startBareServer(backend, { ...lockout, trustProxy: "true" });
      });

      afterAll(async () => {
        await direct?.close();
        await proxied?.close();
      });

      it("after 3 failures refuses the address (429, Retry-After) even with a valid token", async () => {
        const good = basic("alice", direct.aliceToken);
        expect(await statusOf(await request(direct.base, "/pdns/query/example.lu", { auth: good }))).toBe(
          200,
        );
        for (let i = 0; i < 3; i++) {
          await expectError(
            await request(direct.base, "/pdns/query/example.lu", { auth: bad }),
            401,
            "unauthorized",
          );
        }
        const locked = await request(direct.base, "/pdns/query/example.lu", { auth: good });
        const retryAfter = locked.headers.get("retry-after");
        expect(retryAfter).toMatch(/^[0-9]+$/);
        expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(retryAfter)).toBeLessThanOrEqual(60);
        await expectError(locked, 429, "too_many_failures");
        // X-Forwarded-For is not trusted by default: a claimed other address is still the locked one.
        const forwarded = await request(direct.base, "/pdns/query/example.lu", {
          auth: good,
          headers: { "x-forwarded-for": "203.0.113.77" },
        });
        await expectError(forwarded, 429, "too_many_failures");
        // Whatever it sends: no credentials at all are refused alike.
        await expectError(await request(direct.base, "/pdns/query/example.lu"), 429, "too_many_failures");
        // The public JWKS is not behind access control.
        expect(await statusOf(await request(direct.base, "/auth/jwks.json"))).toBe(200);
      });

      it("behind a trusted proxy locks out the forwarded address only", async () => {
        const good = basic("alice", proxied.aliceToken);
        const from = (address: string, auth: string) =>
          request(proxied.base, "/pdns/query/example.lu", { auth, headers: { "x-forwarded-for": address } });
        for (let i = 0; i < 3; i++) {
          await expectError(await from("198.51.100.1", bad), 401, "unauthorized");
        }
        await expectError(await from("198.51.100.1", good), 429, "too_many_failures");
        // The proxy appends the real client last: a forged first hop changes nothing.
        await expectError(await from("203.0.113.66, 198.51.100.1", good), 429, "too_many_failures");
        expect(await statusOf(await from("198.51.100.2", good))).toBe(200);
        // The proxy itself (no X-Forwarded-For) is another address too.
        expect(await statusOf(await request(proxied.base, "/pdns/query/example.lu", { auth: good }))).toBe(
          200,
        );
      });
    });

    // -----------------------------------------------------------------------------------------------
    describe("audit log", () => {
      interface Entry {
        time: string;
        user: string;
        token_id: string;
        method: string;
        route: string;
        value: string;
        results: number | null;
        status: number;
        client_ip: string;
        request_id: string;
      }
      interface Page {
        entries: Entry[];
        cursor: string | null;
      }
      /** A request made during setup: what its entry must say, and the X-Request-Id it was answered with. */
      interface Action {
        user: string;
        method: string;
        /** The decoded request path. */
        path: string;
        status: number;
        requestId: string | null;
      }

      const readAudit = async (query: string, auth = adminAuth): Promise<Page> => {
        const res = await call(`/admin/audit${query}`, { auth });
        expect(res.status, await res.clone().text()).toBe(200);
        return (await res.json()) as Page;
      };
      const actions: Record<string, Action> = {};
      let startedMs = 0;
      let endedMs = 0;

      /** The entries of one setup action (matched on what it asked, within the setup's time span). */
      const matches = (entries: Entry[], action: Action) =>
        entries.filter(
          (e) =>
            e.user === action.user &&
            e.method === action.method &&
            // The value asked about is split from the route where the handler noted it.
            (e.route === action.path || e.route + e.value === action.path) &&
            e.status === action.status &&
            Date.parse(e.time) >= startedMs &&
            (endedMs === 0 || Date.parse(e.time) <= endedMs),
        );
      const entryOf = (entries: Entry[], name: string): Entry => {
        const found = matches(entries, actions[name] as Action);
        expect(found, `audit entries of ${name}`).toHaveLength(1);
        return found[0] as Entry;
      };
      const indexOf = (entries: Entry[], name: string) => entries.indexOf(entryOf(entries, name));

      beforeAll(async () => {
        const limited = await newUser("audit-quota", "analyst", { daily: 1 });
        startedMs = Date.now();
        const track = async (name: string, res: Promise<Response>, expected: Omit<Action, "requestId">) => {
          const r = await res;
          await r.arrayBuffer();
          expect(r.status, name).toBe(expected.status);
          actions[name] = { ...expected, requestId: r.headers.get("x-request-id") };
          // Distinct milliseconds, so "newest first" has one right order.
          await sleep(3);
        };
        const get = { method: "GET", status: 200 };
        await track("query", call("/pdns/query/www.example.lu", { auth: aliceAuth }), {
          ...get,
          user: "alice",
          path: "/pdns/query/www.example.lu",
        });
        await track("d4", call("/query/example.lu", { auth: aliceAuth }), {
          ...get,
          user: "alice",
          path: "/query/example.lu",
        });
        const creation = { method: "POST", json: { name: "audited", role: "analyst" } };
        await track("create", admin("/admin/users", creation), {
          user: "root",
          method: "POST",
          path: "/admin/users",
          status: 201,
        });
        await track("forbidden", call("/pdns/query/example.lu", { auth: probeAuth }), {
          user: "probe",
          method: "GET",
          path: "/pdns/query/example.lu",
          status: 403,
        });
        await track("adminForbidden", call("/admin/audit", { auth: aliceAuth }), {
          user: "alice",
          method: "GET",
          path: "/admin/audit",
          status: 403,
        });
        await track("exchange", call("/auth/token", { method: "POST", auth: aliceAuth }), {
          user: "alice",
          method: "POST",
          path: "/auth/token",
          status: 200,
        });
        await track("quotaOk", call("/pdns/query/q1.example.lu", { auth: limited.auth }), {
          ...get,
          user: "audit-quota",
          path: "/pdns/query/q1.example.lu",
        });
        await track("quota429", call("/pdns/query/q2.example.lu", { auth: limited.auth }), {
          user: "audit-quota",
          method: "GET",
          path: "/pdns/query/q2.example.lu",
          status: 429,
        });
        // More of alice's queries, at once (some may share a millisecond), for the paging test.
        await Promise.all(
          ["a", "b", "c", "d", "e"].map((label) =>
            track(label, call(`/pdns/query/${label}.example.lu`, { auth: aliceAuth }), {
              ...get,
              user: "alice",
              path: `/pdns/query/${label}.example.lu`,
            }),
          ),
        );
        endedMs = Date.now();
        await poll("the setup's audit entries", async () => {
          const { entries } = await readAudit("?limit=1000");
          return Object.values(actions).every((a) => matches(entries, a).length > 0) ? true : undefined;
        });
      });

      it("returns entries newest first with time, user, token_id, method, route, value, results, status, client_ip, request_id", async () => {
        const { entries } = await readAudit("?limit=1000");
        const times = entries.map((e) => Date.parse(e.time));
        expect(times).toEqual([...times].sort((a, b) => b - a));
        expect(indexOf(entries, "adminForbidden")).toBeLessThan(indexOf(entries, "forbidden"));
        expect(indexOf(entries, "forbidden")).toBeLessThan(indexOf(entries, "create"));
        expect(indexOf(entries, "create")).toBeLessThan(indexOf(entries, "d4"));
        expect(indexOf(entries, "d4")).toBeLessThan(indexOf(entries, "query"));

        const query = entryOf(entries, "query");
        expect(Object.keys(query).sort()).toEqual(
          [
            "client_ip",
            "method",
            "request_id",
            "results",
            "route",
            "status",
            "time",
            "token_id",
            "user",
            "value",
          ].sort(),
        );
        expect(query).toMatchObject({
          user: "alice",
          token_id: tokenIdOf(server.analystToken),
          method: "GET",
          route: "/pdns/query/",
          value: "www.example.lu",
          // The five records of www.example.lu and those pointing to it.
          results: 5,
          status: 200,
          client_ip: "127.0.0.1",
        });
        expect(query.time).toBe(new Date(Date.parse(query.time)).toISOString());
        expect(query.request_id).toMatch(/^[\w=-]+$/);
        // A streamed NDJSON answer counts its lines.
        expect(entryOf(entries, "d4")).toMatchObject({
          token_id: tokenIdOf(server.analystToken),
          results: 10,
        });
        expect(entryOf(entries, "create")).toMatchObject({
          token_id: tokenIdOf(server.adminToken),
          results: null,
          client_ip: "127.0.0.1",
        });
        // Every entry has its own request id.
        const ids = entries.map((e) => e.request_id);
        expect(new Set(ids).size).toBe(ids.length);
      });

      it("records refused attempts (403, 429) and JWT exchanges with their status", async () => {
        const { entries } = await readAudit("?limit=1000");
        expect(entryOf(entries, "forbidden")).toMatchObject({
          token_id: tokenIdOf(server.sensorToken),
          status: 403,
          results: null,
          client_ip: "127.0.0.1",
        });
        expect(entryOf(entries, "adminForbidden")).toMatchObject({
          token_id: tokenIdOf(server.analystToken),
          status: 403,
        });
        expect(entryOf(entries, "quotaOk")).toMatchObject({ status: 200, results: 0 });
        expect(entryOf(entries, "quota429")).toMatchObject({ status: 429, results: null });
        expect(entryOf(entries, "exchange")).toMatchObject({
          route: "/auth/token",
          token_id: tokenIdOf(server.analystToken),
          status: 200,
        });
      });

      it("names each answer's X-Request-Id in its audit entry (query answers included)", async () => {
        const { entries } = await readAudit("?limit=1000");
        const unmatched: string[] = [];
        for (const [name, action] of Object.entries(actions)) {
          const entry = entryOf(entries, name);
          if (action.requestId === null) unmatched.push(`${name} (${action.path}): no X-Request-Id`);
          else if (entry.request_id !== action.requestId) unmatched.push(`${name}: ${entry.request_id}`);
        }
        // Streamed NDJSON answers (a raw Response from chunkedResponse) carry it too.
        expect(unmatched).toEqual([]);
      });

      it("filters by user", async () => {
        const { entries } = await readAudit("?user=alice&limit=1000");
        expect(entries.length).toBeGreaterThanOrEqual(8);
        expect(entries.every((e) => e.user === "alice")).toBe(true);
        for (const name of ["query", "d4", "adminForbidden", "a", "e"]) entryOf(entries, name);
        expect(matches(entries, actions.create as Action)).toEqual([]);
        const all = (await readAudit("?limit=1000")).entries;
        expect(entries.map((e) => e.request_id)).toEqual(
          all.filter((e) => e.user === "alice").map((e) => e.request_id),
        );
        expect((await readAudit("?user=nobody-at-all")).entries).toEqual([]);
      });

      it("filters by time with since and until", async () => {
        const { entries } = await readAudit("?limit=1000");
        const first = entryOf(entries, "query");
        const last = entryOf(entries, "forbidden");
        const range = (
          await readAudit(
            `?since=${encodeURIComponent(first.time)}&until=${encodeURIComponent(last.time)}&limit=1000`,
          )
        ).entries;
        for (const name of ["query", "d4", "create", "forbidden"]) entryOf(range, name);
        expect(matches(range, actions.adminForbidden as Action)).toEqual([]);
        for (const e of range) {
          expect(Date.parse(e.time)).toBeGreaterThanOrEqual(Date.parse(first.time));
          expect(Date.parse(e.time)).toBeLessThanOrEqual(Date.parse(last.time));
        }
        const before = new Date(Date.parse(first.time) - 1).toISOString();
        const early = (await readAudit(`?until=${encodeURIComponent(before)}&limit=1000`)).entries;
        expect(early.every((e) => Date.parse(e.time) < Date.parse(first.time))).toBe(true);
        expect(matches(early, actions.query as Action)).toEqual([]);
        // Negative seconds: that long before now; epoch seconds an hour ahead: nothing yet.
        entryOf((await readAudit("?since=-300&limit=1000")).entries, "query");
        expect((await readAudit(`?since=${nowSeconds() + 3600}`)).entries).toEqual([]);
        await expectError(await admin("/admin/audit?since=yesterday"), 400, "bad_request");
      });

      it("pages with limit=2 and the cursor, every entry exactly once", async () => {
        const until = encodeURIComponent(new Date().toISOString());
        const whole = (await readAudit(`?user=alice&until=${until}&limit=1000`)).entries;
        expect(whole.length).toBeGreaterThanOrEqual(8);
        const paged: Entry[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const after: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
          const page: Page = await readAudit(`?user=alice&until=${until}&limit=2${after}`);
          expect(page.entries.length).toBeLessThanOrEqual(2);
          paged.push(...page.entries);
          cursor = page.cursor;
          pages++;
        } while (cursor !== null && pages < 1000);
        expect(paged.map((e) => e.request_id)).toEqual(whole.map((e) => e.request_id));
        expect(new Set(paged.map((e) => e.request_id)).size).toBe(paged.length);
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(whole.length / 2));
      });

      it("refuses a bad cursor or limit (400), analysts (403) and anonymous callers (401)", async () => {
        await expectError(await admin("/admin/audit?cursor=not-a-cursor"), 400, "bad_request");
        await expectError(await admin("/admin/audit?limit=0"), 400, "bad_request");
        await expectError(await admin("/admin/audit?limit=abc"), 400, "bad_request");
        await expectError(await admin("/admin/audit?color=blue"), 400, "bad_request");
        await expectError(await call("/admin/audit", { auth: aliceAuth }), 403, "forbidden");
        await expectError(await call("/admin/audit"), 401, "unauthorized");
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// The rate limiter itself on Redis (in-process, not over HTTP): the one way to make the day's first count
// reach Redis late on purpose, which an HTTP request cannot (its credential lookups come first).

describe.skipIf(!redisReachable)("daily quota reset with Redis counters", () => {
  it("stays the next UTC midnight when the day's first count reached Redis late", async () => {
    const prefix = uniquePrefix();
    const store = await openRedisStore(REDIS_URL, prefix);
    try {
      const limiter = new RateLimiter(store);
      const quota = { daily: 100, burstSize: null, burstWindow: 60, resultsMax: null };
      await limiter.peek("warm-up", quota);
      const midnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400;
      // As under load: the first count waits ~60 ms behind another client's script.
      const first = await whileRedisBusy(60, () => limiter.take("late", quota));
      expect(first.daily?.reset).toBe(midnight);
      const later: number[] = [];
      for (let i = 0; i < 5; i++)
        later.push(((await limiter.peek("late", quota)).daily?.reset ?? 0) - midnight);
      // The counter was given `dayEnd - now` ms of life when the late count reached Redis, so it expires
      // ~60 ms after midnight; the reset must still say 00:00:00 UTC (it is the date's end, not the TTL).
      expect(later).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await store.close();
      await deleteRedisPrefix(prefix);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Two real server processes on one Redis: quotas, burst limits and revocation hold across them.

/** A port free right now (listen on 0, read it, close). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** Spawns `pdns-pssl serve` and resolves once it logs that it is listening. */
function spawnServe(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli.ts", "serve", "--listen", `127.0.0.1:${port}`],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve on port ${port} did not start within 20 s: ${stderr}`));
    }, 20_000);
    child.stderr?.on("data", (data) => {
      stderr += data;
      if (stderr.includes("listening on")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve on port ${port} exited with ${code}: ${stderr}`));
    });
  });
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

describe.skipIf(!redisReachable)("two server processes sharing one Redis", () => {
  const prefix = uniquePrefix();
  const env = { PDNS_PSSL_STORE: REDIS_URL, PDNS_PSSL_KEY_PREFIX: prefix };
  const processes: ChildProcess[] = [];
  let baseA = "";
  let baseB = "";
  let adminAuth = "";
  let shared = { auth: "", token: "", id: "" };

  beforeAll(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const setup = async () => {
      const add = await runCli(["users", "add", "root", "--role", "admin"], env);
      expect(add.code, add.stderr).toBe(0);
      const token = await runCli(["tokens", "create", "root"], env);
      expect(token.code, token.stderr).toBe(0);
      return token.stdout.trim();
    };
    const [rootToken, a, b] = await Promise.all([setup(), spawnServe(portA, env), spawnServe(portB, env)]);
    processes.push(a, b);
    baseA = `http://127.0.0.1:${portA}`;
    baseB = `http://127.0.0.1:${portB}`;
    adminAuth = basic("root", rootToken);
    // Set up through one server, used through both.
    const created = await request(baseA, "/admin/users", {
      method: "POST",
      auth: adminAuth,
      json: { name: "shared", role: "analyst" },
    });
    expect(created.status).toBe(201);
    const quota = await request(baseB, "/admin/users/shared/quota", {
      method: "PUT",
      auth: adminAuth,
      json: { burst_size: 5, burst_window: 60, daily: 50 },
    });
    expect(quota.status).toBe(200);
    const token = await request(baseA, "/admin/users/shared/tokens", {
      method: "POST",
      auth: adminAuth,
      json: {},
    });
    const { token: text, id } = (await token.json()) as { token: string; id: string };
    shared = { auth: basic("shared", text), token: text, id };
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map(stopProcess));
    await deleteRedisPrefix(prefix);
  });

  it("counts one burst limit across both: exactly 5 succeed, the 6th is 429 on either", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const base = i % 2 === 0 ? baseA : baseB;
      statuses.push(await statusOf(await request(base, "/pdns/query/example.lu", { auth: shared.auth })));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const other = await request(baseA, "/pdns/query/example.lu", { auth: shared.auth });
    expect(other.headers.get("retry-after")).toMatch(/^[0-9]+$/);
    await expectError(other, 429, "quota_exceeded");
  });

  it("reports the same standing at /dnsdb/v2/rate_limit on both", async () => {
    const standing = async (base: string) => {
      const res = await request(base, "/dnsdb/v2/rate_limit", {
        headers: { "x-api-key": shared.token, accept: "application/x-ndjson" },
      });
      expect(res.status).toBe(200);
      return {
        rate: ((await res.json()) as { rate: Record<string, unknown> }).rate,
        remainingHeader: res.headers.get("x-ratelimit-remaining"),
      };
    };
    const [a, b] = [await standing(baseA), await standing(baseB)];
    // Five queries counted; refused ones are not.
    expect(a.rate).toMatchObject({ limit: 50, remaining: 45, burst_size: 5, burst_window: 60 });
    // Every figure alike, the daily reset being the next UTC midnight on both.
    expect(b.rate).toEqual(a.rate);
    expect(a.rate.reset).toBe((Math.floor(Date.now() / 86_400_000) + 1) * 86_400);
    expect(a.remainingHeader).toBe("0");
    expect(b.remainingHeader).toBe("0");
  });

  it("a token revoked through one server is refused by the other at once", async () => {
    const revoked = await request(baseA, `/admin/users/shared/tokens/${shared.id}`, {
      method: "DELETE",
      auth: adminAuth,
    });
    expect(revoked.status).toBe(204);
    await expectError(
      await request(baseB, "/dnsdb/v2/rate_limit", { auth: shared.auth }),
      401,
      "unauthorized",
    );
  });
});
