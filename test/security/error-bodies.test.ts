/**
 * No secret in an answer and no stack trace to a client, over real HTTP on every store backend: wrong
 * credentials of every kind (Basic with a wrong token, with another user's real token, with a password;
 * a bare token; X-API-Key; Bearer with a garbage or foreign JWT) on every protected route and the public
 * ones, then malformed requests of many kinds, then real internal errors (a corrupt document in the
 * store): every answer is checked for the secret sent (whole or in part), stack frames, source paths and
 * error class names, and every error is the common `{ code, message, requestId }` shape, a 500 saying
 * only "internal error".
 */
import { randomBytes } from "node:crypto";
import { base64url, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseApiToken } from "../../src/auth/api-token.js";
import { ROUTE_POLICIES } from "../../src/http/app.js";
import { BACKENDS, backendAvailable } from "../helpers/backends.js";
import { basic } from "../helpers/http.js";
import { type SecurityServer, startSecurityServer } from "./security-server.js";

const SHA1 = "9944a665e9a9701a9e0e6246bb49bbd182b1d9c8";

/** A sample request for every protected path (checked against ROUTE_POLICIES below), and public ones. */
const PROTECTED: [method: string, path: string, body?: string][] = [
  ["GET", "/pdns/query/example.lu"],
  ["GET", "/pdns/rcodes/example.lu"],
  ["POST", "/pdns/bulk", '["example.lu"]'],
  ["GET", "/query/example.lu"],
  ["GET", "/fquery/192.0.2.1"],
  ["GET", "/info"],
  ["GET", "/v2pssl/query/192.0.2.1"],
  ["GET", `/v2pssl/cfetch/${SHA1}`],
  ["GET", "/pssl/query/192.0.2.1"],
  ["GET", "/dnsdb/v2/rate_limit"],
  ["GET", "/dnsdb/v2/lookup/rrset/name/example.lu"],
  ["GET", "/dnsdb/v2/summarize/rdata/ip/192.0.2.1"],
  ["GET", "/admin/users"],
  ["POST", "/admin/users", '{"name":"x","role":"analyst"}'],
  ["DELETE", "/admin/users/alice"],
  ["POST", "/admin/jwt/rotate"],
  ["GET", "/admin/audit"],
  ["POST", "/auth/token"],
  ["GET", "/auth/me"],
  ["POST", "/ingest/passivedns", "1700000000.1||10.0.0.1||10.0.0.2||IN||a.example.||A||192.0.2.1||60||1\n"],
  ["GET", "/metrics"],
  ["GET", "/healthz"],
];
const PUBLIC: [method: string, path: string][] = [
  ["GET", "/dnsdb/v2/ping"],
  ["GET", "/auth/jwks.json"],
  ["GET", "/no/such/route"],
];

/**
 * What must never be in an answer to a client. (DNSDB's own error format is one text line
 * `Error: <message>`, as dnsdbq reads it: an "Error:" alone is no leak; one with a stack frame is.)
 */
const LEAKS: [what: string, pattern: RegExp][] = [
  ["a stack frame", /\bat\s+(?:async\s+)?[\w$.<>[\]#]+\s+\(|\n\s+at\s/],
  ["a source path", /\/src\/|node_modules|\.ts:\d+|\.m?js:\d+|file:\/\/|node:internal/],
  ["an error class name", /\b[A-Z]\w*Error\b|\bJOSE\w*|\bERR_[A-Z_]+|\bE[A-Z]{4,}\b/],
  ["an internal value", /\[object Object\]|\bundefined\b|\bNaN\b/],
];

function expectNoLeak(text: string, secrets: readonly string[], what: string): void {
  for (const secret of secrets) {
    expect(text.includes(secret), `${what}: the answer holds a secret sent`).toBe(false);
  }
  for (const [leak, pattern] of LEAKS) expect(text, `${what}: ${leak}`).not.toMatch(pattern);
}

/**
 * The error shape: `{ code, message, requestId }`; or, where a compatible API demands its own, DNSDB's
 * one line `Error: <message>` and CIRCL passive SSL's plain-text 400 (one fixed sentence).
 */
function expectErrorShape(response: Response, text: string, what: string): void {
  if (response.status < 400) return;
  const path = new URL(response.url).pathname;
  if (path.startsWith("/dnsdb/v2/") && response.status !== 401) {
    expect(text, what).toMatch(/^Error: [^\n]{1,300}\n$/);
    return;
  }
  if (/^\/(?:v2)?pssl\//.test(path) && response.headers.get("content-type")?.startsWith("text/plain")) {
    expect(response.status, what).toBe(400);
    expect(text, what).toMatch(/^[^\n]{1,300}$/);
    return;
  }
  expect(response.headers.get("content-type"), what).toMatch(/^application\/json/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).sort(), what).toEqual(["code", "message", "requestId"]);
  expect(body.requestId, what).toBe(response.headers.get("x-request-id"));
  expect(typeof body.message === "string" && body.message.length < 300, what).toBe(true);
}

/** Random base64url text of `n` characters: a secret nobody else would send. */
const secretText = (n: number) => randomBytes(n).toString("base64url").slice(0, n);

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(
    `error answers hold no secret and no stack [${backend}]`,
    () => {
      let server: SecurityServer;
      /** A token whose stored document is corrupt: using it fails inside the server. */
      const corruptId = randomBytes(8).toString("hex");
      const corruptToken = `pps_${corruptId}_${randomBytes(32).toString("base64url")}`;
      /** What the corrupt document holds: it must not reach a client either. */
      const storedSecret = `stored-${secretText(24)}`;

      beforeAll(async () => {
        server = await startSecurityServer(backend, {}, async (store) => {
          await store.putDoc("token", corruptId, `{"id":"${corruptId}","secretHash":"${storedSecret}`);
        });
      });

      afterAll(async () => {
        await server?.close();
      });

      it("names a sample for every protected path", () => {
        for (const [path] of ROUTE_POLICIES) {
          const pattern = new RegExp(`^${path.replace(/\*/g, ".*")}$`);
          expect(
            PROTECTED.some(([, sample]) => pattern.test(sample)),
            `${path} has no sample`,
          ).toBe(true);
        }
      });

      it("never echoes a wrong credential, of any kind, on any route", async () => {
        const adminId = server.tokens.admin.split("_")[1] as string;
        const rogue = await generateKeyPair("EdDSA", { crv: "Ed25519" });
        const jwtSecret = secretText(30);
        const foreignJwt = await new SignJWT({ sub: "root", tid: adminId, note: jwtSecret })
          .setProtectedHeader({ alg: "EdDSA", kid: "k", typ: "JWT" })
          .setIssuer("pdns-pssl")
          .setAudience("pdns-pssl")
          .setExpirationTime("10m")
          .sign(rogue.privateKey);
        const garbageJwt = `${base64url.encode('{"alg":"EdDSA"}')}.${secretText(40)}.${secretText(40)}`;
        const wrongSecret = randomBytes(32).toString("base64url");
        const password = `Hunter2-${secretText(16)}`;
        const credentials: [what: string, headers: Record<string, string>, secrets: string[]][] = [
          [
            "Basic with a wrong token",
            { authorization: basic("root", `pps_${adminId}_${wrongSecret}`) },
            [wrongSecret],
          ],
          [
            "Basic with another user's real token",
            { authorization: basic("alice", server.tokens.admin) },
            // The secret is base64url, `_` included: parsed, not split on `_` (a fragment of it could be
            // two characters that any answer may hold by chance).
            [server.tokens.admin, parseApiToken(server.tokens.admin)?.secret as string],
          ],
          ["Basic with a password", { authorization: basic("root", password) }, [password]],
          ["a bare wrong token", { authorization: `pps_${adminId}_${wrongSecret}` }, [wrongSecret]],
          ["X-API-Key", { "x-api-key": `pps_${adminId}_${wrongSecret}` }, [wrongSecret]],
          [
            "Bearer with a garbage JWT",
            { authorization: `Bearer ${garbageJwt}` },
            [garbageJwt, garbageJwt.split(".")[1] as string],
          ],
          ["Bearer with a foreign JWT", { authorization: `Bearer ${foreignJwt}` }, [foreignJwt, jwtSecret]],
          ["an unknown scheme", { authorization: `Token ${wrongSecret}` }, [wrongSecret]],
          ["Basic that is not base64", { authorization: `Basic ${password}!!` }, [password]],
        ];
        for (const [what, headers, secrets] of credentials) {
          // The Basic header as sent is a secret too (base64 of user:token).
          const all = [...secrets, ...Object.values(headers)];
          for (const [method, path, body] of [...PROTECTED, ...PUBLIC]) {
            const response = await fetch(`${server.base}${path}`, {
              method,
              headers,
              ...(body === undefined ? {} : { body }),
            });
            const text = await response.text();
            const where = `${what}, ${method} ${path} (${response.status})`;
            expect(response.status, where).toBeLessThan(500);
            expectNoLeak(text, all, where);
            // Nor in a header (WWW-Authenticate and the others are fixed texts).
            expectNoLeak([...response.headers.values()].join("\n"), all, `${where}, headers`);
            expectErrorShape(response, text, where);
            if (PROTECTED.some(([m, p]) => m === method && p === path))
              expect(response.status, where).toBe(401);
          }
        }
      });

      it("answers malformed requests with a plain error, no stack, no source path", async () => {
        // Hex: whatever a route echoes of it cannot look like a leak pattern by chance.
        const secret = `s-${randomBytes(10).toString("hex")}`;
        const admin = { authorization: server.admin };
        const analyst = { authorization: server.analyst };
        const sensor = { authorization: server.sensor };
        const gzipGarbage = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(64)]);
        const cases: [
          method: string,
          path: string,
          headers: Record<string, string>,
          body?: string | Buffer,
        ][] = [
          ["POST", "/admin/users", admin, `{not json ${secret}`],
          ["POST", "/admin/users", admin, `{"name":"${secret}!","role":"root"}`],
          ["POST", "/admin/users", admin, `["${secret}"]`],
          ["POST", "/admin/users", admin, "null"],
          ["POST", "/admin/users", admin, '{"name":{"$gt":""},"role":["admin"]}'],
          ["PATCH", "/admin/users/alice", admin, '{"role":42,"disabled":"yes"}'],
          ["PATCH", "/admin/users/%ZZ", admin, "{}"],
          ["PUT", "/admin/users/alice/quota", admin, '{"daily":"lots","burst_size":-1,"extra":1}'],
          ["POST", "/admin/users/alice/tokens", admin, '{"expires_in":"forever and ever"}'],
          ["POST", "/admin/users/alice/tokens", admin, '{"expires_in":1e400}'],
          ["DELETE", "/admin/users/alice/tokens/not-an-id", admin],
          ["GET", "/admin/audit?since=yesterday-ish&limit=-5&cursor=%00%01", admin],
          ["GET", `/admin/audit?cursor=${secret}`, admin],
          ["POST", "/auth/token", analyst, '{"expires_in":-1}'],
          ["POST", "/auth/token", analyst, `{"expires_in":"${secret}"}`],
          ["POST", "/pdns/bulk", analyst, `{"values":"${secret}"`],
          ["POST", "/pdns/bulk", analyst, '{"values":[1,{"a":[]},null]}'],
          ["POST", "/pdns/bulk", analyst, "[]"],
          ["GET", "/pdns/query/%E0%A4%A", analyst],
          ["GET", `/pdns/query/${"a".repeat(64)}.lu`, analyst],
          ["GET", "/pdns/query/example.lu?cursor=%FF%FE&rrtype=NOPE&time_first_after=later", analyst],
          ["GET", "/pdns/query/*.*.example.lu", analyst],
          ["GET", "/pdns/query/10.0.0.0/1", analyst],
          ["GET", "/dnsdb/v2/lookup/rrset/name/example.lu/NOTATYPE/bailiwick/extra/segments", analyst],
          ["GET", "/dnsdb/v2/lookup/rdata/raw/zz", analyst],
          ["GET", "/dnsdb/v2/lookup/rrset/name/example.lu?limit=-1&time_first_before=soon", analyst],
          ["GET", "/v2pssl/cfetch/not-a-sha1", analyst],
          ["GET", "/v2pssl/query/300.1.1.1", analyst],
          ["GET", "/v2pssl/query/192.0.2.0/8", analyst],
          ["GET", "/query/%", analyst],
          ["GET", "/fquery/", analyst],
          ["POST", "/ingest/passivedns", sensor, gzipGarbage],
          ["POST", "/ingest/passivedns?format=xml", sensor, "x"],
          ["POST", "/ingest/passivedns?fields=ZZZ", sensor, "x"],
          ["POST", "/ingest/passivedns?fields=SHQTAn", sensor, "x"],
          ["POST", "/ingest/eve", { ...sensor, "content-encoding": "br" }, "x"],
          ["POST", "/ingest/eve", { ...sensor, "x-sensor-id": secret }, "x"],
          ["POST", "/ingest/ja3-jl", sensor, `{"not":"ja3"}\n\u0000\u0001${secret}\n`],
          ["PUT", "/pdns/query/example.lu", analyst, "x"],
          ["GET", "/admin/users/../../etc/passwd", admin],
        ];
        for (const [method, path, headers, body] of cases) {
          const response = await fetch(`${server.base}${path}`, {
            method,
            headers,
            ...(body === undefined ? {} : { body }),
          });
          const text = await response.text();
          const where = `${method} ${path} (${response.status}): ${text.slice(0, 200)}`;
          expect(response.status, where).toBeLessThan(500);
          expectNoLeak(text, [server.tokens.admin, server.tokens.analyst, server.tokens.sensor], where);
          expectErrorShape(response, text, where);
        }
      });

      // Found by this suite: `?fields=` letters that are valid but leave out the time, query, type or
      // answer field, and an empty `?delimiter=`, used to pass the route's check and fail once the
      // parser was made (500); layoutOf now builds the parser, so they are 400s.
      it("answers 400 to an ingest layout lacking required fields or with an empty delimiter", async () => {
        for (const query of ["fields=Q", "delimiter="]) {
          const response = await fetch(`${server.base}/ingest/passivedns?${query}`, {
            method: "POST",
            headers: { authorization: server.sensor },
            body: "x",
          });
          await response.arrayBuffer();
          expect(response.status, query).toBe(400);
        }
      });

      it("answers an internal error with the generic shape and only the request id", async () => {
        const attempts: [what: string, path: string, authorization: string][] = [
          // The token's own document cannot be read: the credential check itself fails.
          [
            "a credential whose stored token is corrupt",
            "/pdns/query/example.lu",
            basic("root", corruptToken),
          ],
          ["the same as a bare token", "/admin/users", corruptToken],
          // Listing tokens reads every token document, the corrupt one too.
          ["an admin listing tokens", "/admin/users/root/tokens", server.admin],
        ];
        for (const [what, path, authorization] of attempts) {
          const response = await fetch(`${server.base}${path}`, { headers: { authorization } });
          const text = await response.text();
          expect(response.status, `${what}: ${text}`).toBe(500);
          expect(JSON.parse(text)).toEqual({
            code: "internal",
            message: "internal error",
            requestId: response.headers.get("x-request-id"),
          });
          expectNoLeak(text, [corruptToken, corruptId, storedSecret, server.tokens.admin], what);
          expect(response.headers.get("x-content-type-options")).toBe("nosniff");
        }
        // A route given a value that throws where it should not: an ingest layout that passes the
        // letter check but lacks required fields, or has an empty delimiter (see the known bug below).
        for (const query of ["fields=Q", "fields=SQ", "delimiter="]) {
          const response = await fetch(`${server.base}/ingest/passivedns?${query}`, {
            method: "POST",
            headers: { authorization: server.sensor },
            body: "x",
          });
          const text = await response.text();
          expect([400, 500], `${query}: ${text}`).toContain(response.status);
          if (response.status === 500) {
            expect(JSON.parse(text)).toEqual({
              code: "internal",
              message: "internal error",
              requestId: response.headers.get("x-request-id"),
            });
          }
          expectNoLeak(text, [server.tokens.sensor], query);
        }
        // The server goes on serving.
        const ping = await fetch(`${server.base}/dnsdb/v2/ping`);
        expect(ping.status).toBe(200);
        await ping.arrayBuffer();
      });
    },
  );
}
