import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ExternalIdpConfig, type JwtConfig, JwtService } from "../src/auth/jwt.js";
import type { Store } from "../src/store/types.js";
import { describeEachBackend } from "./helpers/backends.js";

const CONFIG: JwtConfig = {
  issuer: "pdns-pssl",
  audience: "pdns-pssl",
  defaultTtlSeconds: 900,
  maxTtlSeconds: 3600,
};
const SUBJECT = { user: "bob", tokenId: "0123456789abcdef" };
/** How long a retired key is kept: max TTL + 30 s of issuing refresh + 5 s of clock tolerance. */
const RETENTION_MS = CONFIG.maxTtlSeconds * 1000 + 30_000 + 5_000;

/** A controllable clock, in milliseconds. */
function makeClock(start = Date.UTC(2030, 0, 1)) {
  let time = start;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
    seconds: () => Math.floor(time / 1000),
  };
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function parts(token: string): [header: string, payload: string, signature: string] {
  const [header, payload, signature, ...rest] = token.split(".");
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) {
    throw new Error(`not a compact JWS: ${token}`);
  }
  return [header, payload, signature];
}

function kidOf(token: string): string {
  const { kid } = decodeProtectedHeader(token);
  if (typeof kid !== "string") throw new Error("token has no kid");
  return kid;
}

async function storedKids(store: Store): Promise<string[]> {
  return (await store.listDocs("signing-key")).map(([id]) => id).sort();
}

describeEachBackend("JwtService, local keys", ({ store }) => {
  it("issues a token that verifies back to its user and API token", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const { token, expiresAt } = await jwt.issue(SUBJECT);

    expect(expiresAt.getTime()).toBe((clock.seconds() + 900) * 1000);
    expect(await jwt.verify(token)).toEqual({
      kind: "local",
      user: "bob",
      tokenId: "0123456789abcdef",
      expiresAt,
    });
    const header = decodeProtectedHeader(token);
    expect(header).toEqual({ alg: "EdDSA", kid: (await storedKids(store()))[0], typ: "JWT" });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: "pdns-pssl",
      aud: "pdns-pssl",
      sub: "bob",
      tid: "0123456789abcdef",
      iat: clock.seconds(),
      exp: clock.seconds() + 900,
    });
    expect(claims.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const again = await jwt.issue(SUBJECT);
    expect(decodeJwt(again.token).jti).not.toBe(claims.jti);
  });

  it("keeps the lifetime between 1 s and maxTtlSeconds", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const lifetime = async (ttl: number) => {
      const { token } = await jwt.issue(SUBJECT, ttl);
      const { iat, exp } = decodeJwt(token);
      return (exp ?? 0) - (iat ?? 0);
    };
    expect(await lifetime(60)).toBe(60);
    expect(await lifetime(100_000)).toBe(3600);
    expect(await lifetime(Number.POSITIVE_INFINITY)).toBe(3600);
    expect(await lifetime(0)).toBe(1);
    expect(await lifetime(-5)).toBe(1);
    expect(await lifetime(Number.NaN)).toBe(900);
  });

  it("refuses an expired token, allowing 5 s of clock skew", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const { token } = await jwt.issue(SUBJECT, 60);
    clock.advance(64_000);
    expect((await jwt.verify(token))?.kind).toBe("local");
    clock.advance(2_000);
    expect(await jwt.verify(token)).toBeUndefined();
  });

  it("refuses a token for another audience, though signed with its own key", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const other = await JwtService.open(store(), { ...CONFIG, audience: "someone-else" }, clock.now);
    const { token } = await other.issue(SUBJECT);
    expect(await storedKids(store())).toEqual([kidOf(token)]);
    expect((await other.verify(token))?.user).toBe("bob");
    expect(await jwt.verify(token)).toBeUndefined();
  });

  it("refuses a token from another issuer, though signed with its own key", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const other = await JwtService.open(store(), { ...CONFIG, issuer: "another-service" }, clock.now);
    const { token } = await other.issue(SUBJECT);
    expect(await storedKids(store())).toEqual([kidOf(token)]);
    expect((await other.verify(token))?.user).toBe("bob");
    expect(await jwt.verify(token)).toBeUndefined();
  });

  it("refuses an unsigned (alg: none) token", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const genuine = await jwt.issue(SUBJECT);
    const [, payload, signature] = parts(genuine.token);
    const header = b64json({ alg: "none", kid: kidOf(genuine.token), typ: "JWT" });
    expect(await jwt.verify(`${header}.${payload}.`)).toBeUndefined();
    expect(await jwt.verify(`${header}.${payload}.${signature}`)).toBeUndefined();
    // The same payload with its real header does verify: only the header makes the difference.
    expect((await jwt.verify(genuine.token))?.user).toBe("bob");
  });

  it("refuses a token signed by a key it does not know, even after re-reading the store", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const strangerKid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const forge = (kid: string) =>
      new SignJWT({ tid: SUBJECT.tokenId })
        .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
        .setIssuer(CONFIG.issuer)
        .setAudience(CONFIG.audience)
        .setSubject("admin")
        .setIssuedAt(clock.seconds())
        .setExpirationTime(clock.seconds() + 60)
        .sign(privateKey);
    clock.advance(2_000);
    expect(await jwt.verify(await forge(strangerKid))).toBeUndefined();
    // Claiming our kid does not help: the signature does not match our key.
    const [ourKid] = await storedKids(store());
    expect(await jwt.verify(await forge(ourKid ?? ""))).toBeUndefined();
    expect(await storedKids(store())).toEqual([ourKid]);
  });

  it("refuses a tampered signature or payload", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const { token } = await jwt.issue(SUBJECT);
    const [header, payload, signature] = parts(token);
    // The first character is all signature bits (the last one carries padding bits too).
    const flipped = `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`;
    expect(await jwt.verify(`${header}.${payload}.${flipped}`)).toBeUndefined();
    const promoted = b64json({ ...decodeJwt(token), sub: "admin" });
    expect(await jwt.verify(`${header}.${promoted}.${signature}`)).toBeUndefined();
    expect(await jwt.verify(`${header}.${payload}`)).toBeUndefined();
    expect((await jwt.verify(token))?.user).toBe("bob");
  });

  it("refuses malformed input without throwing", async () => {
    const jwt = await JwtService.open(store(), CONFIG);
    const { token } = await jwt.issue(SUBJECT);
    const [header, payload, signature] = parts(token);
    const malformed = [
      "",
      "pps_0123456789abcdef_secret",
      "a.b.c",
      "...",
      `${token}.extra`,
      `${header}.${payload}.${signature}.x.y`,
      `!!!.${payload}.${signature}`,
      `${b64json("header")}.${payload}.${signature}`,
      `${header}.${b64json([1, 2])}.${signature}`,
      `${header}.${Buffer.from("{not json").toString("base64url")}.${signature}`,
      `${b64json({ alg: "EdDSA", typ: "JWT" })}.${payload}.${signature}`,
      `${b64json({ alg: "EdDSA", kid: 42, typ: "JWT" })}.${payload}.${signature}`,
    ];
    for (const text of malformed) expect(await jwt.verify(text), text).toBeUndefined();
  });

  it("stores each key as one document named by its thumbprint and publishes only the public half", async () => {
    const jwt = await JwtService.open(store(), CONFIG);
    const docs = await store().listDocs("signing-key");
    expect(docs).toHaveLength(1);
    const [id, json] = docs[0] ?? ["", ""];
    const doc = JSON.parse(json) as { kid: string; alg: string; publicJwk: JWK; privateJwk: JWK };
    expect(doc).toMatchObject({ kid: id, alg: "EdDSA", publicJwk: { kty: "OKP", crv: "Ed25519" } });
    expect(doc.privateJwk.d).toEqual(expect.any(String));
    expect(Date.parse((doc as unknown as { createdAt: string }).createdAt)).not.toBeNaN();
    expect(await calculateJwkThumbprint(doc.publicJwk, "sha256")).toBe(id);

    const jwks = await jwt.jwks();
    expect(jwks.keys).toEqual([{ ...doc.publicJwk, kid: id, alg: "EdDSA", use: "sig" }]);
    expect(JSON.stringify(jwks)).not.toContain(doc.privateJwk.d);
    // A third party holding only the published set can check our tokens.
    const { token } = await jwt.issue(SUBJECT);
    const checked = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: "pdns-pssl" });
    expect(checked.protectedHeader.kid).toBe(id);
  });

  it("keeps verifying tokens signed before a rotation and signs new ones with the new key", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const before = await jwt.issue(SUBJECT);
    const oldKid = kidOf(before.token);
    clock.advance(1_000);
    const { kid } = await jwt.rotate();
    expect(kid).not.toBe(oldKid);

    const after = await jwt.issue(SUBJECT);
    expect(kidOf(after.token)).toBe(kid);
    expect((await jwt.verify(before.token))?.user).toBe("bob");
    expect((await jwt.verify(after.token))?.user).toBe("bob");
    expect((await jwt.jwks()).keys.map((key) => key.kid)).toEqual([kid, oldKid]);
    const old = JSON.parse((await store().getDoc("signing-key", oldKid)) ?? "{}") as { retiredAt?: string };
    expect(old.retiredAt).toBe(new Date(clock.now()).toISOString());
  });

  it("lets another service on the same store verify tokens signed after a rotation, re-reading at most once a second", async () => {
    const clock = makeClock();
    const first = await JwtService.open(store(), CONFIG, clock.now);
    const second = await JwtService.open(store(), CONFIG, clock.now);
    const before = await first.issue(SUBJECT);
    expect((await second.verify(before.token))?.user).toBe("bob");

    const { kid } = await first.rotate();
    const after = await first.issue(SUBJECT);
    expect(kidOf(after.token)).toBe(kid);
    // The second service read the keys less than a second ago: it refuses rather than re-read.
    expect(await second.verify(after.token)).toBeUndefined();
    clock.advance(1_000);
    expect((await second.verify(after.token))?.user).toBe("bob");
    expect((await second.verify(before.token))?.user).toBe("bob");
    expect(kidOf((await second.issue(SUBJECT)).token)).toBe(kid);
  });

  it("makes another service on the same store sign with the new key within 30 s of a rotation", async () => {
    const clock = makeClock();
    const first = await JwtService.open(store(), CONFIG, clock.now);
    const second = await JwtService.open(store(), CONFIG, clock.now);
    const oldKid = kidOf((await second.issue(SUBJECT)).token);
    clock.advance(10_000);
    const { kid } = await first.rotate();

    const stale = await second.issue(SUBJECT);
    expect(kidOf(stale.token)).toBe(oldKid);
    // The retired key still verifies what a not-yet-refreshed node signs with it.
    expect((await first.verify(stale.token))?.user).toBe("bob");
    clock.advance(20_000);
    expect(kidOf((await second.issue(SUBJECT)).token)).toBe(kid);
  });

  it("deletes keys retired longer than a token can live, and keeps the others", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const [k0] = await storedKids(store());
    const { kid: k1 } = await jwt.rotate(); // k0 retired now
    clock.advance(RETENTION_MS - 1);
    const { kid: k2 } = await jwt.rotate(); // k1 retired now; k0 not retired long enough yet
    expect(await storedKids(store())).toEqual([k0, k1, k2].sort());
    clock.advance(1);
    const { kid: k3 } = await jwt.rotate();
    expect(await storedKids(store())).toEqual([k1, k2, k3].sort());
    expect((await jwt.jwks()).keys.map((key) => key.kid)).toEqual([k3, k2, k1]);
  });

  it("lets two services opening an empty store at once verify each other's tokens", async () => {
    const clock = makeClock();
    const [a, b] = await Promise.all([
      JwtService.open(store(), CONFIG, clock.now),
      JwtService.open(store(), CONFIG, clock.now),
    ]);
    const fromA = await a.issue(SUBJECT);
    const fromB = await b.issue({ user: "carol", tokenId: "fedcba9876543210" });
    const kids = await storedKids(store());
    expect(kids.length === 1 || kids.length === 2).toBe(true);
    clock.advance(1_000);
    expect((await b.verify(fromA.token))?.user).toBe("bob");
    expect((await a.verify(fromB.token))?.user).toBe("carol");
    // After re-reading, both sign with the same (newest) key.
    clock.advance(30_000);
    expect(kidOf((await a.issue(SUBJECT)).token)).toBe(kidOf((await b.issue(SUBJECT)).token));
  });

  it("generates a new key when every stored key is retired", async () => {
    const clock = makeClock();
    const jwt = await JwtService.open(store(), CONFIG, clock.now);
    const [k0] = await storedKids(store());
    const json = (await store().getDoc("signing-key", k0 ?? "")) ?? "{}";
    const retired = { ...(JSON.parse(json) as object), retiredAt: new Date(clock.now()).toISOString() };
    await store().putDoc("signing-key", k0 ?? "", JSON.stringify(retired));
    clock.advance(30_000);
    const { token } = await jwt.issue(SUBJECT);
    expect(kidOf(token)).not.toBe(k0);
    expect(await storedKids(store())).toEqual([k0, kidOf(token)].sort());
    expect((await jwt.verify(token))?.user).toBe("bob");
  });

  it("refuses to open over a corrupt key document, without quoting it", async () => {
    const secret = "c2VjcmV0LXByaXZhdGUta2V5LW1hdGVyaWFs";
    const bad = { kid: "not-a-thumbprint", alg: "EdDSA", privateJwk: { d: secret }, publicJwk: {} };
    await store().putDoc("signing-key", "not-a-thumbprint", JSON.stringify(bad));
    const error = await JwtService.open(store(), CONFIG).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("signing-key not-a-thumbprint");
    expect((error as Error).message).not.toContain(secret);
    await store().putDoc("signing-key", "not-json", `{"privateJwk":{"d":"${secret}"`);
    const notJson = await JwtService.open(store(), CONFIG).catch((reason: unknown) => reason);
    expect(String(notJson)).not.toContain(secret);
  });

  it("refuses an unusable configuration", async () => {
    const external: ExternalIdpConfig = {
      issuer: "https://idp.example",
      audience: "pdns",
      jwksUrl: "https://idp.example/jwks.json",
      userClaim: "sub",
      roleClaim: "roles",
      algorithms: ["ES256"],
    };
    const invalid: JwtConfig[] = [
      { ...CONFIG, maxTtlSeconds: 0 },
      { ...CONFIG, defaultTtlSeconds: 1.5 },
      { ...CONFIG, issuer: "" },
      { ...CONFIG, external: { ...external, issuer: CONFIG.issuer } },
      { ...CONFIG, external: { ...external, algorithms: [] } },
      { ...CONFIG, external: { ...external, algorithms: ["ES256", "HS256"] } },
      { ...CONFIG, external: { ...external, algorithms: ["none"] } },
      { ...CONFIG, external: { ...external, jwksUrl: "not a url" } },
    ];
    for (const config of invalid) {
      await expect(JwtService.open(store(), config), JSON.stringify(config)).rejects.toThrow(Error);
    }
    expect(await storedKids(store())).toEqual([]);
    await expect(JwtService.open(store(), { ...CONFIG, external })).resolves.toBeInstanceOf(JwtService);
  });
});

const IDP_ISSUER = "https://idp.example/realms/pdns";
const IDP_AUDIENCE = "pdns-pssl-api";

interface IdpKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
}

/** A real identity provider's JWKS endpoint on a loopback socket, and the keys it signs with. */
let server: Server;
let jwksUrl: string;
let idpKey: IdpKey;
let idpRsaKey: IdpKey;
let strayKey: IdpKey;

async function makeIdpKey(alg: "ES256" | "RS256", kid: string): Promise<IdpKey & { publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, publicJwk };
}

beforeAll(async () => {
  const es = await makeIdpKey("ES256", "idp-1");
  const rsa = await makeIdpKey("RS256", "idp-rsa");
  const stray = await makeIdpKey("ES256", "idp-9");
  idpKey = es;
  idpRsaKey = rsa;
  strayKey = stray;
  const body = JSON.stringify({ keys: [es.publicJwk, rsa.publicJwk] });
  server = createServer((request, response) => {
    if (request.url === "/.well-known/jwks.json") {
      response.writeHead(200, { "content-type": "application/json" }).end(body);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function externalConfig(overrides: Partial<ExternalIdpConfig> = {}): JwtConfig {
  return {
    ...CONFIG,
    external: {
      issuer: IDP_ISSUER,
      audience: IDP_AUDIENCE,
      jwksUrl,
      userClaim: "preferred_username",
      roleClaim: "roles",
      algorithms: ["ES256"],
      ...overrides,
    },
  };
}

describeEachBackend("JwtService, external identity provider", ({ store }) => {
  const clock = makeClock();

  /** A token as the identity provider signs it; an `undefined` claim is left out. */
  function idpToken(claims: JWTPayload = {}, key: IdpKey = idpKey): Promise<string> {
    const now = clock.seconds();
    const payload: JWTPayload = {
      iss: IDP_ISSUER,
      aud: IDP_AUDIENCE,
      sub: "3f1c1f8e-user-id",
      preferred_username: "alice",
      roles: "analyst",
      iat: now,
      exp: now + 300,
      ...claims,
    };
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
  }

  const open = (overrides: Partial<ExternalIdpConfig> = {}) =>
    JwtService.open(store(), externalConfig(overrides), clock.now);

  it("accepts the provider's token with a single role", async () => {
    const jwt = await open();
    expect(await jwt.verify(await idpToken())).toEqual({
      kind: "external",
      user: "alice",
      role: "analyst",
      expiresAt: new Date((clock.seconds() + 300) * 1000),
    });
  });

  it("takes the most privileged valid role of an array", async () => {
    const jwt = await open();
    const roleOf = async (roles: unknown) => {
      const verified = await jwt.verify(await idpToken({ roles }));
      return verified?.kind === "external" ? verified.role : undefined;
    };
    expect(await roleOf(["sensor", "admin", "auditor"])).toBe("admin");
    expect(await roleOf(["sensor", "analyst"])).toBe("analyst");
    expect(await roleOf(["offline_access", "sensor"])).toBe("sensor");
    expect(await roleOf("admin")).toBe("admin");
  });

  it("refuses a token without a valid role", async () => {
    const jwt = await open();
    for (const roles of [undefined, "superuser", "Admin", [], ["auditor"], [42], { admin: true }, null]) {
      expect(await jwt.verify(await idpToken({ roles })), JSON.stringify(roles)).toBeUndefined();
    }
  });

  it("refuses a token without a user", async () => {
    const jwt = await open();
    for (const preferred_username of [undefined, "", 7, ["alice"]]) {
      expect(await jwt.verify(await idpToken({ preferred_username }))).toBeUndefined();
    }
    // The user claim is configurable.
    const bySub = await open({ userClaim: "sub" });
    expect((await bySub.verify(await idpToken({ preferred_username: undefined })))?.user).toBe(
      "3f1c1f8e-user-id",
    );
  });

  it("refuses a token for another audience", async () => {
    const jwt = await open();
    expect(await jwt.verify(await idpToken({ aud: "some-other-client" }))).toBeUndefined();
    expect(await jwt.verify(await idpToken({ aud: CONFIG.audience }))).toBeUndefined();
    expect((await jwt.verify(await idpToken({ aud: ["account", IDP_AUDIENCE] })))?.user).toBe("alice");
  });

  it("refuses a token from another issuer, even one signed with the provider's key", async () => {
    const jwt = await open();
    expect(await jwt.verify(await idpToken({ iss: "https://idp.example/realms/other" }))).toBeUndefined();
    expect(await jwt.verify(await idpToken({ iss: undefined }))).toBeUndefined();
    // Claiming to be us routes the token to our own keys, which do not include the provider's.
    expect(await jwt.verify(await idpToken({ iss: CONFIG.issuer, aud: CONFIG.audience }))).toBeUndefined();
  });

  it("refuses a token signed by a key the provider does not publish", async () => {
    const jwt = await open();
    expect(await jwt.verify(await idpToken({}, strayKey))).toBeUndefined();
    // Nor does naming a published kid help: the signature does not match.
    expect(await jwt.verify(await idpToken({}, { ...strayKey, kid: idpKey.kid }))).toBeUndefined();
  });

  it("refuses an expired token, allowing 5 s of clock skew", async () => {
    const jwt = await open();
    const now = clock.seconds();
    expect((await jwt.verify(await idpToken({ iat: now - 300, exp: now - 4 })))?.user).toBe("alice");
    expect(await jwt.verify(await idpToken({ iat: now - 300, exp: now - 6 }))).toBeUndefined();
    expect(await jwt.verify(await idpToken({ exp: undefined }))).toBeUndefined();
  });

  it("refuses algorithms it was not configured to accept", async () => {
    const token = await idpToken({}, idpRsaKey);
    expect(await (await open()).verify(token)).toBeUndefined();
    expect((await (await open({ algorithms: ["ES256", "RS256"] })).verify(token))?.user).toBe("alice");
    const [, payload] = parts(await idpToken());
    const unsigned = `${b64json({ alg: "none", kid: idpKey.kid })}.${payload}.`;
    expect(await (await open({ algorithms: ["ES256", "RS256"] })).verify(unsigned)).toBeUndefined();
  });

  it("still verifies its own tokens", async () => {
    const jwt = await open();
    const { token } = await jwt.issue(SUBJECT);
    expect(await jwt.verify(token)).toMatchObject({ kind: "local", user: "bob", tokenId: SUBJECT.tokenId });
  });

  it("throws, rather than calling the token bad, when the provider's keys cannot be fetched", async () => {
    const unreachable = await open({ jwksUrl: `${new URL(jwksUrl).origin}/missing.json` });
    await expect(unreachable.verify(await idpToken())).rejects.toThrow();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await open({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` });
    await expect(down.verify(await idpToken())).rejects.toThrow();
    // Tokens that are not the provider's are answered without asking it.
    expect(await unreachable.verify(await idpToken({ iss: "https://elsewhere.example" }))).toBeUndefined();
  });
});
