import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const TOKEN_PATTERN = /^pps_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
const SECRET_BYTES = 32;

/**
 * Creates a new API token `pps_<id>_<secret>`: the id (64 random bits, 16 lowercase hex) names the
 * token publicly and keys its stored document; the secret (256 random bits, base64url) is returned
 * here once and only its hash is meant to be kept.
 */
export function generateApiToken(): { id: string; token: string; secretHash: string } {
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return { id, token: `pps_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** Splits a token into id and secret; undefined unless it has exactly the shape generateApiToken makes. */
export function parseApiToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match?.[1] || !match[2]) return undefined;
  const secret = match[2];
  // 43 base64url characters carry 258 bits: only the canonical encoding of 32 bytes survives a round trip.
  if (Buffer.from(secret, "base64url").toString("base64url") !== secret) return undefined;
  return { id: match[1], secret };
}

/**
 * SHA-256 (hex) of a token secret. A slow password KDF (scrypt, argon2) exists to stretch guessable
 * human passwords; a 256-bit random secret cannot be guessed, so one fast hash is as strong and keeps
 * every authenticated request cheap.
 */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** True when `secret` hashes to `storedHash`, compared in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), "hex");
  // A malformed stored hash can only come from a corrupt document; its shape is no secret.
  if (!HASH_PATTERN.test(storedHash)) return false;
  return timingSafeEqual(actual, Buffer.from(storedHash, "hex"));
}
