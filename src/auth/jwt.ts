/**
 * Short-lived bearer tokens (JWT): ours, signed with Ed25519 keys kept in the store and exchanged for an
 * API token, and optionally those of an external identity provider, checked against its JWKS.
 *
 * Several server processes may share one store (Redis). Each keeps the keys in memory and re-reads them
 * from the store at most every 30 s before issuing, and at most once a second when a token names a key
 * it does not know, so a rotation on one node reaches the others within 30 s and never refuses a token
 * the rotating node already issued. Two nodes opening an empty store at the same moment may each
 * generate a key; that is harmless: both keys are stored, each node verifies the other's tokens after
 * its next reload, and the newest key (by creation time) becomes every node's signer.
 *
 * Private key material stays inside this module: it is never logged nor put in an error message.
 */
import { randomBytes } from "node:crypto";
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  type RemoteJWKSet,
  SignJWT,
} from "jose";
import { z } from "zod";
import type { Store } from "../store/types.js";
import { ROLES, type Role } from "./accounts.js";

/** An external identity provider whose tokens are accepted as they are. */
export interface ExternalIdpConfig {
  /** Its `iss`; must differ from ours. */
  issuer: string;
  /** The `aud` its tokens must carry for this service. */
  audience: string;
  /** Where its public keys are published (JWKS). */
  jwksUrl: string;
  /** The string claim naming the user. */
  userClaim: string;
  /** The claim carrying the role: a role name or an array of them (the most privileged valid one wins). */
  roleClaim: string;
  /** The signature algorithms accepted from it (asymmetric only), e.g. `["RS256", "ES256"]`. */
  algorithms: string[];
}

/** How tokens are issued and checked. */
export interface JwtConfig {
  /** Our own `iss`, e.g. "pdns-pssl". */
  issuer: string;
  /** Our own `aud`, e.g. "pdns-pssl". */
  audience: string;
  /** Lifetime of an issued token when the caller asks for none, in seconds (e.g. 900). */
  defaultTtlSeconds: number;
  /** Longest lifetime issue() grants, in seconds (e.g. 3600); longer requests are shortened. */
  maxTtlSeconds: number;
  external?: ExternalIdpConfig | undefined;
}

/** What a verified bearer token stands for. */
export type VerifiedJwt =
  /**
   * Signed by us, exchanged from API token `tokenId`: the caller still checks that this token and its
   * user exist and are enabled, so revoking the API token also ends its JWTs.
   */
  | { kind: "local"; user: string; tokenId: string; expiresAt: Date }
  /** From the configured identity provider, which vouches for the user and the role. */
  | { kind: "external"; user: string; role: Role; expiresAt: Date };

const SIGNING_ALG = "EdDSA";
const TOKEN_TYPE = "JWT";
const CLOCK_TOLERANCE_SECONDS = 5;
/** Keys are re-read before issuing when the last read is older than this. */
const ISSUE_REFRESH_MS = 30_000;
/** An unknown `kid` re-reads the keys only when the last read is older than this. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

const publicJwkSchema = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().regex(/^[A-Za-z0-9_-]+$/),
});

const signingKeyDocSchema = z.object({
  kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  alg: z.literal(SIGNING_ALG),
  privateJwk: publicJwkSchema.extend({ d: z.string().regex(/^[A-Za-z0-9_-]+$/) }),
  publicJwk: publicJwkSchema,
  createdAt: z.iso.datetime(),
  retiredAt: z.iso.datetime().optional(),
});

type SigningKeyDoc = z.infer<typeof signingKeyDocSchema>;

/** A stored key with its public half ready for verifying. */
interface LoadedKey {
  doc: SigningKeyDoc;
  publicKey: CryptoKey;
}

/** The key that signs, with its private half imported. */
interface Signer {
  kid: string;
  privateKey: CryptoKey;
}

// Failures caused by the token itself; anything else (store, identity provider unreachable) is thrown.
const TOKEN_ERROR_CODES: ReadonlySet<string> = new Set([
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWSInvalid.code,
  errors.JWTInvalid.code,
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

/**
 * Issues and verifies bearer tokens. Local keys are documents of kind `signing-key` (id = kid = the
 * RFC 7638 thumbprint of the public key); the newest key not retired signs, and retired keys keep
 * verifying until every token they signed has expired.
 */
export class JwtService {
  readonly #store: Store;
  readonly #config: JwtConfig;
  readonly #now: () => number;
  readonly #externalKeys: RemoteJWKSet | undefined;
  #keys = new Map<string, LoadedKey>();
  #signer: Signer | undefined;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  private constructor(store: Store, config: JwtConfig, now: () => number) {
    this.#store = store;
    this.#config = config;
    this.#now = now;
    this.#externalKeys = config.external ? createRemoteJWKSet(new URL(config.external.jwksUrl)) : undefined;
  }

  /**
   * Loads the signing keys, generating the first one when the store has none. `now` (milliseconds since
   * the epoch, default Date.now) is the clock for token times, key ages and reload intervals.
   * Throws when the configuration is unusable or a stored key is corrupt.
   */
  static async open(store: Store, config: JwtConfig, now: () => number = Date.now): Promise<JwtService> {
    checkConfig(config);
    const service = new JwtService(store, config, now);
    await service.#reload();
    await service.#ensureSigner();
    return service;
  }

  /**
   * Signs a token for `subject`, valid `ttlSeconds` (default `defaultTtlSeconds`, kept within 1 and
   * `maxTtlSeconds`).
   */
  async issue(
    subject: { user: string; tokenId: string },
    ttlSeconds?: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    await this.#refreshIfStale();
    const signer = await this.#ensureSigner();
    const iat = Math.floor(this.#now() / 1000);
    const exp = iat + this.#ttl(ttlSeconds);
    const token = await new SignJWT({ tid: subject.tokenId })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: signer.kid, typ: TOKEN_TYPE })
      .setIssuer(this.#config.issuer)
      .setAudience(this.#config.audience)
      .setSubject(subject.user)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomBytes(16).toString("base64url"))
      .sign(signer.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * What `token` stands for, or undefined when it is not acceptable for any reason of its own (malformed,
   * unknown issuer or key, bad signature, `alg: none`, expired, wrong audience, missing claims, no valid
   * role). Throws only when the means of checking fail: the store, or the identity provider's JWKS
   * endpoint (unreachable, timing out, not serving a key set).
   */
  async verify(token: string): Promise<VerifiedJwt | undefined> {
    let kid: unknown;
    let issuer: unknown;
    try {
      // Unverified, only to route the token: its signature and claims are checked below.
      kid = decodeProtectedHeader(token).kid;
      issuer = decodeJwt(token).iss;
    } catch {
      return undefined;
    }
    try {
      if (issuer === this.#config.issuer) {
        return typeof kid === "string" ? await this.#verifyLocal(token, kid) : undefined;
      }
      const external = this.#config.external;
      if (external && this.#externalKeys && issuer === external.issuer) {
        return await this.#verifyExternal(token, external, this.#externalKeys);
      }
      return undefined;
    } catch (error) {
      if (isTokenError(error)) return undefined;
      throw error;
    }
  }

  /**
   * Creates a new signing key and retires the current signer(s); tokens they signed keep verifying. Keys
   * retired long enough that everything they signed has expired are deleted.
   */
  async rotate(): Promise<{ kid: string }> {
    await this.#reloadAfterWrite();
    const now = this.#now();
    const created = await generateKeyDoc(now);
    // The new key is stored before the old ones are retired, so there is always a signer to be found.
    await this.#store.putDoc("signing-key", created.kid, JSON.stringify(created));
    const retiredAt = new Date(now).toISOString();
    const retention = this.#retentionMs();
    for (const { doc } of this.#keys.values()) {
      if (doc.kid === created.kid) continue;
      if (doc.retiredAt === undefined) {
        const retired: SigningKeyDoc = { ...doc, retiredAt };
        await this.#store.putDoc("signing-key", doc.kid, JSON.stringify(retired));
      } else if (Date.parse(doc.retiredAt) + retention <= now) {
        await this.#store.deleteDoc("signing-key", doc.kid);
      }
    }
    await this.#reloadAfterWrite();
    return { kid: created.kid };
  }

  /** The public keys, for GET /auth/jwks.json: the signer and the retired keys still verifying. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.#refreshIfStale();
    const keys = [...this.#keys.values()]
      .sort((a, b) => compareKeys(b.doc, a.doc))
      .map(({ doc }) => ({ ...doc.publicJwk, kid: doc.kid, alg: doc.alg, use: "sig" }));
    return { keys };
  }

  async #verifyLocal(token: string, kid: string): Promise<VerifiedJwt | undefined> {
    let key = this.#keys.get(kid);
    if (!key && this.#now() - this.#loadedAt >= UNKNOWN_KID_RELOAD_MS) {
      await this.#reload();
      key = this.#keys.get(kid);
    }
    if (!key) return undefined;
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [SIGNING_ALG],
      issuer: this.#config.issuer,
      audience: this.#config.audience,
      typ: TOKEN_TYPE,
      requiredClaims: ["exp", "sub", "tid"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(this.#now()),
    });
    const { sub, tid, exp } = payload;
    if (typeof sub !== "string" || typeof tid !== "string" || typeof exp !== "number") return undefined;
    return { kind: "local", user: sub, tokenId: tid, expiresAt: new Date(exp * 1000) };
  }

  async #verifyExternal(
    token: string,
    external: ExternalIdpConfig,
    keys: RemoteJWKSet,
  ): Promise<VerifiedJwt | undefined> {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: external.algorithms,
      issuer: external.issuer,
      audience: external.audience,
      requiredClaims: ["exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(this.#now()),
    });
    const user = payload[external.userClaim];
    const role = highestRole(payload, external.roleClaim);
    if (typeof user !== "string" || user === "" || role === undefined || typeof payload.exp !== "number") {
      return undefined;
    }
    return { kind: "external", user, role, expiresAt: new Date(payload.exp * 1000) };
  }

  #ttl(requested: number | undefined): number {
    const ttl =
      requested === undefined || Number.isNaN(requested) ? this.#config.defaultTtlSeconds : requested;
    return Math.min(Math.max(1, Math.floor(ttl)), this.#config.maxTtlSeconds);
  }

  /**
   * How long a retired key is kept: the longest token life, plus the time another node may go on
   * signing with it before it re-reads the keys, plus the clock tolerance.
   */
  #retentionMs(): number {
    return this.#config.maxTtlSeconds * 1000 + ISSUE_REFRESH_MS + CLOCK_TOLERANCE_SECONDS * 1000;
  }

  async #refreshIfStale(): Promise<void> {
    if (this.#now() - this.#loadedAt >= ISSUE_REFRESH_MS) await this.#reload();
  }

  /** Re-reads every key from the store; concurrent callers share one read. */
  #reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** Re-reads the keys with a read that starts after this call, so it sees writes made just before. */
  async #reloadAfterWrite(): Promise<void> {
    await this.#loading?.catch(() => undefined);
    await this.#reload();
  }

  async #load(): Promise<void> {
    const startedAt = this.#now();
    const docs = await this.#store.listDocs("signing-key");
    const keys = new Map<string, LoadedKey>();
    for (const [id, json] of docs) {
      const doc = await readKeyDoc(id, json);
      // Keys never change once written (only retiredAt is added): reuse what is already imported.
      const known = this.#keys.get(id);
      const publicKey = known ? known.publicKey : await importVerifyKey(doc);
      keys.set(id, { doc, publicKey });
    }
    this.#keys = keys;
    this.#loadedAt = startedAt;
    const newest = newestActive(keys);
    if (!newest) {
      this.#signer = undefined;
    } else if (this.#signer?.kid !== newest.kid) {
      this.#signer = { kid: newest.kid, privateKey: await importSignKey(newest) };
    }
  }

  /** The current signer; generates a key when none is usable (an empty store, or every key retired). */
  async #ensureSigner(): Promise<Signer> {
    if (this.#signer) return this.#signer;
    const doc = await generateKeyDoc(this.#now());
    await this.#store.putDoc("signing-key", doc.kid, JSON.stringify(doc));
    await this.#reloadAfterWrite();
    if (!this.#signer) throw new Error("no signing key after generating one");
    return this.#signer;
  }
}

function checkConfig(config: JwtConfig): void {
  if (config.issuer === "" || config.audience === "") throw new Error("JWT issuer and audience must be set");
  for (const [name, value] of [
    ["defaultTtlSeconds", config.defaultTtlSeconds],
    ["maxTtlSeconds", config.maxTtlSeconds],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`JWT ${name} must be a positive integer`);
  }
  const external = config.external;
  if (!external) return;
  if (external.issuer === "" || external.audience === "") {
    throw new Error("the identity provider's issuer and audience must be set");
  }
  if (external.issuer === config.issuer) {
    throw new Error("the identity provider's issuer must differ from ours");
  }
  if (external.userClaim === "" || external.roleClaim === "") {
    throw new Error("the identity provider's user and role claims must be named");
  }
  if (!URL.canParse(external.jwksUrl)) throw new Error("the identity provider's JWKS URL is not a URL");
  if (external.algorithms.length === 0) throw new Error("the identity provider's algorithms must be listed");
  for (const alg of external.algorithms) {
    // A public key set cannot carry shared secrets, and unsigned tokens are never accepted.
    if (alg === "none" || alg.startsWith("HS")) {
      throw new Error(`algorithm ${alg} is not accepted from an identity provider`);
    }
  }
}

function isTokenError(error: unknown): boolean {
  return error instanceof errors.JOSEError && TOKEN_ERROR_CODES.has(error.code);
}

/** The most privileged valid role in claim `name` (a role or an array of them), if any. */
function highestRole(payload: JWTPayload, name: string): Role | undefined {
  const claim = payload[name];
  const values: unknown[] = Array.isArray(claim) ? claim : [claim];
  // ROLES is ordered from the most privileged down.
  return ROLES.find((role) => values.includes(role));
}

async function generateKeyDoc(now: number): Promise<SigningKeyDoc> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { crv: "Ed25519", extractable: true });
  const publicJwk = publicJwkSchema.parse(await exportJWK(publicKey));
  const exported = await exportJWK(privateKey);
  if (typeof exported.d !== "string") throw new Error("generated signing key has no private part");
  const kid = await calculateJwkThumbprint(publicJwk, "sha256");
  return {
    kid,
    alg: SIGNING_ALG,
    privateJwk: { ...publicJwk, d: exported.d },
    publicJwk,
    createdAt: new Date(now).toISOString(),
  };
}

// A document that fails its schema means a corrupt or foreign store: fail loudly, but without quoting
// the document (it holds a private key).
async function readKeyDoc(id: string, json: string): Promise<SigningKeyDoc> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`stored signing-key ${id} is not JSON`);
  }
  const result = signingKeyDocSchema.safeParse(value);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join(".") || "(document)"))];
    throw new Error(`stored signing-key ${id} is invalid at: ${fields.join(", ")}`);
  }
  const doc = result.data;
  if (doc.kid !== id) throw new Error(`stored signing-key ${id} names itself ${doc.kid}`);
  if ((await calculateJwkThumbprint(doc.publicJwk, "sha256")) !== id) {
    throw new Error(`stored signing-key ${id} does not match its public key`);
  }
  if (doc.privateJwk.x !== doc.publicJwk.x) throw new Error(`stored signing-key ${id} has mismatched halves`);
  return doc;
}

async function importVerifyKey(doc: SigningKeyDoc): Promise<CryptoKey> {
  const key = await importJWK(doc.publicJwk, SIGNING_ALG);
  if (key instanceof Uint8Array) throw new Error(`stored signing-key ${doc.kid} is not an asymmetric key`);
  return key;
}

async function importSignKey(doc: SigningKeyDoc): Promise<CryptoKey> {
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(doc.privateJwk, SIGNING_ALG);
  } catch {
    // The cause could describe the private key: report only which key failed.
    throw new Error(`stored signing-key ${doc.kid} has an unusable private key`);
  }
  if (key instanceof Uint8Array) throw new Error(`stored signing-key ${doc.kid} is not an asymmetric key`);
  return key;
}

/** The signer: the newest key not retired, if any. */
function newestActive(keys: ReadonlyMap<string, LoadedKey>): SigningKeyDoc | undefined {
  let newest: SigningKeyDoc | undefined;
  for (const { doc } of keys.values()) {
    if (doc.retiredAt === undefined && (!newest || compareKeys(doc, newest) > 0)) newest = doc;
  }
  return newest;
}

// By creation time, then kid, so every node picks the same signer from the same documents.
function compareKeys(a: SigningKeyDoc, b: SigningKeyDoc): number {
  const byTime = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (byTime !== 0) return byTime;
  return a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0;
}
