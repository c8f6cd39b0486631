/**
 * Bearer JWT edge cases against a real server, on every store backend. The test knows the server's
 * signing key (it makes it before the server starts), so it can sign tokens that are genuine in every
 * way but one: expired, not yet valid, another issuer or audience, no type, no `exp`, another user's
 * API token. Beside those: unsigned (`alg: none`), HMAC-signed with the public key (algorithm
 * confusion), signed by an unknown key under the real `kid`, with an embedded key, tampered, truncated
 * and huge tokens; a key retired by /admin/jwt/rotate (still valid while its tokens may live, gone once
 * rotated out for good); and what happens to a JWT when its user is disabled, deleted (and re-created),
 * or has their role lowered after issue. Every refusal is 401 (431 for a token over the header limit),
 * never a 500.
 */
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JwtService } from "../../src/auth/jwt.js";
import { jwtConfigOf } from "../../src/server.js";
import { BACKENDS, backendAvailable } from "../helpers/backends.js";
import { basic } from "../helpers/http.js";
import { errorOf, rawExchange, type SecurityServer, startSecurityServer } from "./security-server.js";

/** Our issuer and audience: the default origin. */
const ORIGIN = "pdns-pssl";
const QUERY = "/pdns/query/example.lu";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function newKey(): Promise<SigningKey & { privateJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  return { kid: await calculateJwkThumbprint(publicJwk, "sha256"), privateKey, publicJwk, privateJwk };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A JWT signed with `key`, with our claims for `sub`/`tid` unless overridden (undefined removes one). */
async function sign(
  key: SigningKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: ORIGIN,
    aud: ORIGIN,
    iat: nowSeconds(),
    exp: nowSeconds() + 600,
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(12))),
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey);
}

/** A token's segments re-assembled (the signature kept as it was). */
function reassemble(header: object, payload: object, signature: string): string {
  const encode = (part: object) => base64url.encode(JSON.stringify(part));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64url.decode(segment))) as Record<string, unknown>;
}

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`JWT edge cases [${backend}]`, () => {
    let server: SecurityServer;
    /** The server's signing key at start. */
    let current: SigningKey;
    /** A key retired two days ago, still in the store: the next rotation deletes it. */
    const retired: { key?: SigningKey & { privateJwk: JWK } } = {};
    let aliceTokenId = "";
    let rootTokenId = "";

    const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
    const call = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
      fetch(`${server.base}${path}`, { ...init, headers });
    const admin = (path: string, init: RequestInit = {}) =>
      fetch(`${server.base}${path}`, { ...init, headers: { authorization: server.admin } });

    /** Asserts a 401 in the common shape with the Basic challenge. */
    async function expect401(response: Response, what: string): Promise<void> {
      const error = await errorOf(response);
      expect(error.status, `${what}: ${error.message}`).toBe(401);
      expect(error.code, what).toBe("unauthorized");
      expect(response.headers.get("www-authenticate"), what).toMatch(/^Basic realm=/);
    }

    async function statusOf(response: Response): Promise<number> {
      await response.arrayBuffer();
      return response.status;
    }

    /** A JWT from POST /auth/token for the Basic credential. */
    async function exchange(authorization: string, expiresIn?: number): Promise<string> {
      const response = await fetch(`${server.base}/auth/token`, {
        method: "POST",
        headers: { authorization },
        ...(expiresIn === undefined ? {} : { body: JSON.stringify({ expires_in: expiresIn }) }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      return ((await response.json()) as { token: string }).token;
    }

    /** A user with a token, over the admin API; returns its Basic header. */
    async function newUser(name: string, role: string): Promise<string> {
      const created = await admin("/admin/users", { method: "POST", body: JSON.stringify({ name, role }) });
      expect(created.status, await created.clone().text()).toBe(201);
      await created.arrayBuffer();
      const token = await admin(`/admin/users/${name}/tokens`, { method: "POST", body: "{}" });
      expect(token.status).toBe(201);
      return basic(name, ((await token.json()) as { token: string }).token);
    }

    beforeAll(async () => {
      server = await startSecurityServer(backend, {}, async (store, config) => {
        // The key the server will sign with: made here, so this test can sign too.
        await (await JwtService.open(store, jwtConfigOf(config))).jwks();
        const docs = await store.listDocs("signing-key");
        expect(docs).toHaveLength(1);
        const doc = JSON.parse((docs[0] as [string, string])[1]) as {
          kid: string;
          privateJwk: JWK;
          publicJwk: JWK;
        };
        current = {
          kid: doc.kid,
          privateKey: (await importJWK(doc.privateJwk, "EdDSA")) as CryptoKey,
          publicJwk: doc.publicJwk,
        };
        // An older key, retired two days ago: kept until the next rotation, which deletes it.
        const old = await newKey();
        retired.key = old;
        const day = 86_400_000;
        await store.putDoc(
          "signing-key",
          old.kid,
          JSON.stringify({
            kid: old.kid,
            alg: "EdDSA",
            privateJwk: { kty: "OKP", crv: "Ed25519", x: old.privateJwk.x, d: old.privateJwk.d },
            publicJwk: { kty: "OKP", crv: "Ed25519", x: old.publicJwk.x },
            createdAt: new Date(Date.now() - 30 * day).toISOString(),
            retiredAt: new Date(Date.now() - 2 * day).toISOString(),
          }),
        );
      });
      aliceTokenId = server.tokens.analyst.split("_")[1] as string;
      rootTokenId = server.tokens.admin.split("_")[1] as string;
    });

    afterAll(async () => {
      await server?.close();
    });

    it("accepts a token this test signs with the server's key (the baseline of every case below)", async () => {
      const jwt = await sign(current, { sub: "alice", tid: aliceTokenId });
      expect(await statusOf(await call(QUERY, bearer(jwt)))).toBe(200);
      const issued = await exchange(server.analyst);
      expect(await statusOf(await call(QUERY, bearer(issued)))).toBe(200);
    });

    it("refuses genuine signatures over bad claims: expired, not yet valid, other issuer or audience", async () => {
      const base = { sub: "alice", tid: aliceTokenId };
      const cases: [string, Record<string, unknown>, Record<string, unknown>?][] = [
        ["expired a minute ago", { ...base, iat: nowSeconds() - 960, exp: nowSeconds() - 60 }],
        ["expired just past the clock tolerance", { ...base, exp: nowSeconds() - 10 }],
        ["not valid for an hour (nbf)", { ...base, nbf: nowSeconds() + 3600 }],
        ["another issuer", { ...base, iss: "https://idp.example.test" }],
        ["no issuer", { ...base, iss: undefined }],
        ["another audience", { ...base, aud: "another-service" }],
        ["an audience list without ours", { ...base, aud: ["a", "b"] }],
        ["no expiry", { ...base, exp: undefined }],
        ["no subject", { tid: aliceTokenId }],
        ["no token id", { sub: "alice" }],
        ["a numeric subject", { sub: 42, tid: aliceTokenId }],
        ["another user's API token (alice, root's token)", { sub: "alice", tid: rootTokenId }],
        ["an unknown user", { sub: "nobody", tid: aliceTokenId }],
        ["no type", base, { typ: undefined }],
        ["another type", base, { typ: "at+jwt" }],
      ];
      for (const [what, claims, header] of cases) {
        const jwt = await sign(current, claims, header ?? {});
        await expect401(await call(QUERY, bearer(jwt)), what);
      }
    });

    it("refuses a sub of root with alice's token id on the admin API (no privilege from the claim)", async () => {
      const jwt = await sign(current, { sub: "root", tid: aliceTokenId });
      await expect401(await call("/admin/users", bearer(jwt)), "sub root, tid alice");
    });

    it("refuses alg none, HS256 keyed with the public key, a foreign key under our kid, an embedded key", async () => {
      const payload = { iss: ORIGIN, aud: ORIGIN, sub: "alice", tid: aliceTokenId, exp: nowSeconds() + 600 };
      const none = (header: object) => reassemble(header, payload, "");
      await expect401(await call(QUERY, bearer(none({ alg: "none", typ: "JWT", kid: current.kid }))), "none");
      await expect401(await call(QUERY, bearer(none({ alg: "none", typ: "JWT" }))), "none, no kid");
      await expect401(await call(QUERY, bearer(none({ alg: "NONE", typ: "JWT", kid: current.kid }))), "NONE");
      // Algorithm confusion: HMAC keyed with what is public (the raw key, its JWK, its x).
      const x = current.publicJwk.x as string;
      for (const [what, secret] of [
        ["raw public key", base64url.decode(x)],
        ["public JWK text", new TextEncoder().encode(JSON.stringify(current.publicJwk))],
        ["x text", new TextEncoder().encode(x)],
      ] as const) {
        for (const alg of ["HS256", "HS512"]) {
          const jwt = await new SignJWT(payload)
            .setProtectedHeader({ alg, kid: current.kid, typ: "JWT" })
            .sign(secret);
          await expect401(await call(QUERY, bearer(jwt)), `${alg} with the ${what}`);
        }
      }
      // A key of the attacker's: under our kid, under its own, and offered in the header (jwk, jku).
      const rogue = await newKey();
      await expect401(
        await call(QUERY, bearer(await sign({ ...rogue, kid: current.kid }, payload))),
        "rogue, our kid",
      );
      await expect401(await call(QUERY, bearer(await sign(rogue, payload))), "rogue, own kid");
      await expect401(
        await call(QUERY, bearer(await sign(rogue, payload, { jwk: rogue.publicJwk }))),
        "embedded jwk",
      );
      await expect401(
        await call(QUERY, bearer(await sign(rogue, payload, { jku: "http://127.0.0.1:9/jwks.json" }))),
        "jku",
      );
      // No kid at all, or a kid that is not a string.
      await expect401(await call(QUERY, bearer(await sign(current, payload, { kid: undefined }))), "no kid");
      await expect401(await call(QUERY, bearer(await sign(current, payload, { kid: 7 }))), "numeric kid");
    });

    it("refuses tampered, truncated and malformed tokens; a huge one is 431 and the server serves on", async () => {
      const jwt = await exchange(server.analyst);
      const [h, p, s] = jwt.split(".") as [string, string, string];
      const header = decodeSegment(h);
      const payload = decodeSegment(p);
      const tampered: [string, string][] = [
        ["a later expiry", reassemble(header, { ...payload, exp: (payload.exp as number) + 86_400 }, s)],
        ["another subject", reassemble(header, { ...payload, sub: "root" }, s)],
        ["another token id", reassemble(header, { ...payload, tid: rootTokenId }, s)],
        ["the header's kid changed", reassemble({ ...header, kid: retired.key?.kid }, payload, s)],
        ["a flipped signature", `${h}.${p}.${s[0] === "A" ? "B" : "A"}${s.slice(1)}`],
        ["a truncated signature", `${h}.${p}.${s.slice(0, -10)}`],
        ["no signature", `${h}.${p}.`],
        ["two segments", `${h}.${p}`],
        ["one segment", h],
        ["four segments", `${jwt}.${s}`],
        ["half a token", jwt.slice(0, Math.floor(jwt.length / 2))],
        ["padding added", `${jwt}==`],
        ["not base64url", `${h}.${p}!.${s}`],
        ["a JSON array payload", `${h}.${base64url.encode("[1,2]")}.${s}`],
        ["a non-JSON header", `${base64url.encode("{not json")}.${p}.${s}`],
      ];
      for (const [what, token] of tampered) {
        const response = await call(QUERY, { authorization: `Bearer ${token}` });
        await expect401(response, what);
      }
      // Over the 16 KiB header limit: Node answers 431 before anything reads it.
      const huge = `${h}.${base64url.encode("x".repeat(64 * 1024))}.${s}`;
      const outcome = await rawExchange(
        server.port,
        `GET ${QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${huge}\r\n\r\n`,
      );
      expect(outcome.status).toBe(431);
      // Under the limit but big: read and refused.
      const big = `${h}.${base64url.encode(JSON.stringify({ ...payload, pad: "y".repeat(10_000) }))}.${s}`;
      await expect401(await call(QUERY, { authorization: `Bearer ${big}` }), "a 13 KiB token");
      expect(await statusOf(await call(QUERY, bearer(jwt)))).toBe(200);
    });

    it("keeps a retired key verifying until rotated out for good, then refuses its tokens", async () => {
      const old = retired.key as SigningKey;
      // Retired two days ago, not yet deleted: its (unexpired) tokens still pass.
      const byOld = await sign(old, { sub: "alice", tid: aliceTokenId });
      expect(await statusOf(await call(QUERY, bearer(byOld)))).toBe(200);
      const byCurrent = await exchange(server.analyst);
      const rotated = await admin("/admin/jwt/rotate", { method: "POST" });
      expect(rotated.status).toBe(200);
      const { kid } = (await rotated.json()) as { kid: string };
      expect(kid).not.toBe(current.kid);
      // The key retired just now: its tokens live on until they expire (grace period).
      expect(await statusOf(await call(QUERY, bearer(byCurrent)))).toBe(200);
      expect(
        await statusOf(await call(QUERY, bearer(await sign(current, { sub: "alice", tid: aliceTokenId })))),
      ).toBe(200);
      // The key retired two days ago is gone: from the JWKS, and its tokens are refused.
      const jwks = (await (await call("/auth/jwks.json")).json()) as { keys: { kid: string }[] };
      const kids = jwks.keys.map((k) => k.kid);
      expect(kids).toContain(kid);
      expect(kids).toContain(current.kid);
      expect(kids).not.toContain(old.kid);
      await expect401(await call(QUERY, bearer(byOld)), "signed by a key rotated out");
      await expect401(
        await call(QUERY, bearer(await sign(old, { sub: "alice", tid: aliceTokenId }))),
        "newly signed by a key rotated out",
      );
    });

    it("refuses a JWT while its user is disabled, and for good once the user is deleted (even re-created)", async () => {
      const dave = await newUser("dave", "analyst");
      const jwt = await exchange(dave);
      expect(await statusOf(await call(QUERY, bearer(jwt)))).toBe(200);
      const patch = (body: object) =>
        fetch(`${server.base}/admin/users/dave`, {
          method: "PATCH",
          headers: { authorization: server.admin },
          body: JSON.stringify(body),
        });
      expect(await statusOf(await patch({ disabled: true }))).toBe(200);
      await expect401(await call(QUERY, bearer(jwt)), "disabled user");
      expect(await statusOf(await patch({ disabled: false }))).toBe(200);
      expect(await statusOf(await call(QUERY, bearer(jwt)))).toBe(200);
      expect(await statusOf(await admin("/admin/users/dave", { method: "DELETE" }))).toBe(204);
      await expect401(await call(QUERY, bearer(jwt)), "deleted user");
      // A new user of the same name does not revive the old user's JWTs.
      const again = await newUser("dave", "analyst");
      await expect401(await call(QUERY, bearer(jwt)), "deleted then re-created user");
      expect(await statusOf(await call(QUERY, bearer(await exchange(again))))).toBe(200);
    });

    it("takes the role from the store at each request: an admin's JWT lowered to analyst loses admin", async () => {
      const eve = await newUser("eve", "admin");
      const jwt = await exchange(eve);
      expect(await statusOf(await call("/admin/users", bearer(jwt)))).toBe(200);
      const lower = await admin("/admin/users/eve", {
        method: "PATCH",
        body: JSON.stringify({ role: "analyst" }),
      });
      expect(await statusOf(lower)).toBe(200);
      const refused = await errorOf(await call("/admin/users", bearer(jwt)));
      expect(refused).toMatchObject({ status: 403, code: "forbidden" });
      expect(await statusOf(await call("/admin/jwt/rotate", bearer(jwt), { method: "POST" }))).toBe(403);
      // Still an analyst: may query.
      expect(await statusOf(await call(QUERY, bearer(jwt)))).toBe(200);
      // Lowered to sensor: may not query either; raised back: everything again, same JWT.
      const toSensor = await admin("/admin/users/eve", {
        method: "PATCH",
        body: JSON.stringify({ role: "sensor" }),
      });
      expect(await statusOf(toSensor)).toBe(200);
      expect(await statusOf(await call(QUERY, bearer(jwt)))).toBe(403);
      const back = await admin("/admin/users/eve", {
        method: "PATCH",
        body: JSON.stringify({ role: "admin" }),
      });
      expect(await statusOf(back)).toBe(200);
      expect(await statusOf(await call("/admin/users", bearer(jwt)))).toBe(200);
    });
  });
}
