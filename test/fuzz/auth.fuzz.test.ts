/**
 * Properties of credential parsing (Basic, bare tokens, Bearer, X-API-Key) and of JWT verification:
 * random and tampered tokens go through the real verifier with a real Ed25519 key, and none but the
 * issued token (or one whose decoded parts are the very same bytes) is ever accepted.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Credential, parseCredentials } from "../../src/auth/credentials.js";
import { type JwtConfig, JwtService } from "../../src/auth/jwt.js";
import {
  documentStore,
  fc,
  hasLoneSurrogate,
  injectionPiece,
  runs,
  timed,
  timedAsync,
  timeout,
  utf16Unit,
} from "./fuzz.js";

/** Any header value, including what no HTTP stack would pass on (lone surrogates, NUL, CR LF). */
const headerText = fc.oneof(
  fc.string({ unit: utf16Unit, maxLength: 120 }),
  fc
    .array(
      fc.oneof(
        injectionPiece,
        fc.constantFrom("Basic ", "basic\t", "Bearer ", "pps_", "=", "==", "Og==", "."),
      ),
      { maxLength: 10 },
    )
    .map((p) => p.join("")),
  fc.base64String({ maxLength: 60 }).map((b) => `Basic ${b}`),
  fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 60 }).map((s) => `pps_${s}`),
);
const header = fc.oneof(fc.constant(undefined), fc.constant(null), headerText);
const whitespace = fc.stringMatching(/^[ \t]{0,3}$/);

function expectWellFormedCredential(c: Credential | undefined): void {
  if (c === undefined) return;
  switch (c.kind) {
    case "basic":
      expect(c.user.length).toBeGreaterThan(0);
      expect(c.user).not.toContain(":");
      expect(c.token.length).toBeGreaterThan(0);
      return;
    case "token":
      expect(c.token).toMatch(/^pps_\S+$/);
      return;
    case "bearer":
      expect(c.jwt).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/);
      return;
    default:
      throw new Error(`unexpected credential ${JSON.stringify(c)}`);
  }
}

describe("credentials: properties", () => {
  it(
    "never throws on any headers, and whatever it reads is well formed",
    () => {
      fc.assert(
        fc.property(header, header, (authorization, apiKey) => {
          const c = timed("parseCredentials", () => parseCredentials({ authorization, apiKey }));
          expectWellFormedCredential(c);
          // A present Authorization decides alone: a malformed one is not rescued by X-API-Key.
          if (authorization?.trim() && c?.kind === "token") expect(c.token).toBe(authorization.trim());
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "reads back any Basic user:token pair (any scheme case, spaces or tabs, surrounding whitespace)",
    () => {
      const user = fc
        .string({ unit: fc.oneof(utf16Unit, injectionPiece), minLength: 1, maxLength: 30 })
        .filter((u) => !u.includes(":") && !hasLoneSurrogate(u));
      const token = fc
        .string({ unit: fc.oneof(utf16Unit, injectionPiece), minLength: 1, maxLength: 60 })
        .filter((t) => !hasLoneSurrogate(t));
      fc.assert(
        fc.property(
          user,
          token,
          fc.mixedCase(fc.constant("basic")),
          fc.stringMatching(/^[ \t]{1,3}$/),
          whitespace,
          whitespace,
          header,
          (u, t, scheme, gap, before, after, apiKey) => {
            const authorization = `${before}${scheme}${gap}${Buffer.from(`${u}:${t}`, "utf8").toString("base64")}${after}`;
            expect(parseCredentials({ authorization, apiKey })).toEqual({ kind: "basic", user: u, token: t });
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "a Basic value it accepts is strict base64 of UTF-8 `user:token`",
    () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.base64String({ maxLength: 40 }),
            fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString("base64")),
          ),
          (encoded) => {
            const c = parseCredentials({ authorization: `Basic ${encoded}` });
            if (c === undefined) return;
            expect(c.kind).toBe("basic");
            const bytes = Buffer.from(encoded, "base64");
            expect(bytes.toString("base64")).toBe(encoded);
            if (c.kind === "basic")
              expect(Buffer.from(`${c.user}:${c.token}`, "utf8").equals(bytes)).toBe(true);
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "takes a bare pps_ token from Authorization, or from X-API-Key only when Authorization is absent or blank",
    () => {
      const token = fc.stringMatching(/^pps_[0-9a-f]{16}_[A-Za-z0-9_-]{10,43}$/);
      fc.assert(
        fc.property(
          token,
          whitespace,
          fc.constantFrom(undefined, null, "", " ", "\t"),
          headerText,
          (t, pad, blank, other) => {
            expect(parseCredentials({ authorization: `${pad}${t}${pad}`, apiKey: other })).toEqual({
              kind: "token",
              token: t,
            });
            expect(parseCredentials({ authorization: blank, apiKey: `${pad}${t}${pad}` })).toEqual({
              kind: "token",
              token: t,
            });
            const withOther = parseCredentials({ authorization: other, apiKey: t });
            if (other.trim() !== "") expect(withOther).toEqual(parseCredentials({ authorization: other }));
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );
});

// ---------------------------------------------------------------------------------------------------
// JWTs through the real verifier.

const CONFIG: JwtConfig = {
  issuer: "pdns-pssl",
  audience: "pdns-pssl",
  defaultTtlSeconds: 900,
  maxTtlSeconds: 3600,
};
const NOW = Date.UTC(2030, 0, 1);
const b64url = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const BASE64URL = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"];

/** A part of a (perhaps already tampered) token as a JSON object; {} when it is none. */
function jsonPart(part: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? "", "base64url").toString());
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The decoded bytes of each part of a compact token (what a signature actually covers and carries). */
function decodedParts(token: string): string[] {
  return token.split(".").map((part) => Buffer.from(part, "base64url").toString("hex"));
}

describe("JWT verification: properties", () => {
  let clock = NOW;
  let jwt: JwtService;
  let kid: string;
  let issued: string;
  let other: string;

  beforeAll(async () => {
    jwt = await JwtService.open(documentStore(), CONFIG, () => clock);
    issued = (await jwt.issue({ user: "bob", tokenId: "0123456789abcdef" })).token;
    other = (await jwt.issue({ user: "eve", tokenId: "fedcba9876543210" })).token;
    kid = JSON.parse(Buffer.from(issued.split(".")[0] ?? "", "base64url").toString()).kid;
  });

  it(
    "verifies issued tokens back to their user and token id, whatever the characters",
    async () => {
      const text = fc
        .string({ unit: fc.oneof(utf16Unit, injectionPiece), minLength: 1, maxLength: 40 })
        .filter((s) => !hasLoneSurrogate(s));
      await fc.assert(
        fc.asyncProperty(text, text, async (user, tokenId) => {
          const { token, expiresAt } = await jwt.issue({ user, tokenId });
          expect(await jwt.verify(token)).toEqual({ kind: "local", user, tokenId, expiresAt });
        }),
        runs(2),
      );
    },
    timeout(2),
  );

  it(
    "refuses any text, never throwing",
    async () => {
      const anyToken = fc.oneof(
        headerText,
        fc
          .array(fc.string({ unit: fc.constantFrom(...BASE64URL, "=", ".", "+", "/"), maxLength: 60 }), {
            minLength: 1,
            maxLength: 5,
          })
          .map((p) => p.join(".")),
      );
      await fc.assert(
        fc.asyncProperty(anyToken, async (token) => {
          expect(await timedAsync("verify", () => jwt.verify(token))).toBeUndefined();
        }),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "refuses forged tokens that name our issuer and key: any header, any claims, any signature",
    async () => {
      const headerObject = fc.record({
        alg: fc.oneof(
          fc.constantFrom("EdDSA", "none", "None", "HS256", "RS256", "ES256", "EdDSA "),
          fc.string(),
        ),
        kid: fc.oneof(
          fc.constant(() => kid),
          fc.string(),
        ),
        typ: fc.constantFrom("JWT", "jwt", "at+jwt", undefined),
        crit: fc.constantFrom(undefined, ["exp"], ["b64"]),
        b64: fc.constantFrom(undefined, false),
      });
      const claims = fc.record({
        iss: fc.constantFrom("pdns-pssl", "pdns-pssl ", "other"),
        aud: fc.constantFrom("pdns-pssl", ["pdns-pssl"], "other"),
        sub: fc.oneof(fc.constant("bob"), fc.string(), fc.integer()),
        tid: fc.oneof(fc.constant("0123456789abcdef"), fc.string()),
        exp: fc.oneof(fc.constant(NOW / 1000 + 600), fc.integer(), fc.double()),
        iat: fc.constant(NOW / 1000),
      });
      const signature = fc.oneof(
        fc.constant(""),
        fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString("base64url")),
        fc.constant(issued.split(".")[2] ?? ""),
        fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 90 }),
      );
      await fc.assert(
        fc.asyncProperty(headerObject, claims, signature, async (h, c, s) => {
          const head = { ...h, kid: typeof h.kid === "function" ? h.kid() : h.kid };
          const token = `${b64url(head)}.${b64url(c)}.${s}`;
          expect(await timedAsync("verify", () => jwt.verify(token))).toBeUndefined();
        }),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "refuses every tampering of an issued token that changes what it decodes to",
    async () => {
      const tamper = fc.oneof(
        // One character replaced, inserted or removed anywhere.
        fc
          .tuple(fc.nat(), fc.constantFrom(...BASE64URL, ".", "=", " ", "+", "/"))
          .map(([at, c]) => (t: string) => {
            const i = at % t.length;
            return t.slice(0, i) + c + t.slice(i + 1);
          }),
        fc.tuple(fc.nat(), fc.constantFrom(...BASE64URL, ".", "=")).map(([at, c]) => (t: string) => {
          const i = at % (t.length + 1);
          return t.slice(0, i) + c + t.slice(i);
        }),
        fc.nat().map((at) => (t: string) => {
          const i = at % t.length;
          return t.slice(0, i) + t.slice(i + 1);
        }),
        // A part taken from another token, or left out.
        fc.nat(2).map((k) => (t: string) => {
          const parts = t.split(".");
          parts[k] = other.split(".")[k] ?? "";
          return parts.join(".");
        }),
        fc.nat(2).map((k) => (t: string) => {
          const parts = t.split(".");
          parts[k] = "";
          return parts.join(".");
        }),
        // Claims or header rewritten, signature kept.
        fc
          .tuple(fc.constantFrom("sub", "tid", "exp", "aud", "iss", "nbf"), fc.jsonValue({ maxDepth: 1 }))
          .map(([claim, value]) => (t: string) => {
            const [h, p, s] = t.split(".");
            const payload = jsonPart(p);
            payload[claim] = value;
            return `${h}.${b64url(payload)}.${s}`;
          }),
        fc
          .tuple(fc.constantFrom("alg", "kid", "typ"), fc.jsonValue({ maxDepth: 1 }))
          .map(([field, value]) => (t: string) => {
            const [h, p, s] = t.split(".");
            const head = jsonPart(h);
            head[field] = value;
            return `${b64url(head)}.${p}.${s}`;
          }),
        fc.constant((t: string) => {
          const [, p] = t.split(".");
          return `${b64url({ alg: "none", typ: "JWT" })}.${p}.`;
        }),
        fc.constantFrom(
          (t: string) => t.toUpperCase(),
          (t: string) => `${t}.`,
          (t: string) => ` ${t}`,
          (t: string) => `${t}=`,
          (t: string) => t.replaceAll("-", "+").replaceAll("_", "/"),
        ),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(tamper, { minLength: 1, maxLength: 3 }), async (edits) => {
          const token = edits.reduce((t, edit) => edit(t), issued);
          const result = await timedAsync("verify", () => jwt.verify(token));
          if (result === undefined) return;
          // Accepted only when it still decodes to the very same header, claims and signature as an
          // issued token (taking every part from the other token makes that other token).
          const original = [issued, other].find(
            (t) => decodedParts(t).join(".") === decodedParts(token).join("."),
          );
          expect(original, `${token} accepted`).toBeDefined();
          expect(result).toEqual(await jwt.verify(original ?? ""));
        }),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "refuses a token once it has expired (past the clock tolerance), accepts it until then",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc
            .integer({ min: 1, max: 3600 })
            .chain((ttl) => fc.tuple(fc.constant(ttl), fc.integer({ min: -ttl, max: 7200 }))),
          async ([ttl, offset]) => {
            clock = NOW;
            const { token, expiresAt } = await jwt.issue({ user: "bob", tokenId: "t" }, ttl);
            clock = expiresAt.getTime() + offset * 1000;
            const result = await jwt.verify(token);
            clock = NOW;
            if (offset < 0) expect(result).toBeDefined();
            if (offset > 5) expect(result).toBeUndefined();
          },
        ),
        runs(1),
      );
    },
    timeout(1),
  );
});
