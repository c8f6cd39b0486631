import { describe, expect, it } from "vitest";
import { generateApiToken, hashSecret, parseApiToken, secretMatches } from "../src/auth/api-token.js";

describe("generateApiToken", () => {
  it("makes pps_<16 hex>_<43 base64url> tokens that parse back", () => {
    const { id, token, secretHash } = generateApiToken();
    expect(token).toMatch(/^pps_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseApiToken(token);
    expect(parsed?.id).toBe(id);
    expect(Buffer.from(parsed?.secret ?? "", "base64url")).toHaveLength(32);
    expect(secretHash).toBe(hashSecret(parsed?.secret ?? ""));
  });

  it("never repeats an id or a token", () => {
    const tokens = Array.from({ length: 200 }, () => generateApiToken());
    expect(new Set(tokens.map((t) => t.id)).size).toBe(200);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(200);
  });
});

describe("parseApiToken", () => {
  const { id, token } = generateApiToken();
  const secret = token.slice(`pps_${id}_`.length);

  it.each([
    ["empty", ""],
    ["another prefix", token.replace("pps_", "ppx_")],
    ["an upper-case prefix", token.replace("pps_", "PPS_")],
    ["an upper-case id", `pps_${id.toUpperCase().replace(/^[0-9]/, "A")}_${secret}`],
    ["a short id", `pps_${id.slice(1)}_${secret}`],
    ["a short secret", token.slice(0, -1)],
    ["a long secret", `${token}A`],
    ["padding", `${token}=`],
    ["base64 instead of base64url", `pps_${id}_${secret.slice(0, -1)}+`],
    ["surrounding space", ` ${token}`],
    ["a trailing newline", `${token}\n`],
    ["no secret", `pps_${id}_`],
  ])("rejects %s", (_, text) => {
    expect(parseApiToken(text)).toBeUndefined();
  });

  it("rejects a non-canonical encoding of the secret", () => {
    // The last of 43 characters holds 2 padding bits; "B" sets one, so no 32-byte value encodes to it.
    const canonical = `pps_${"0".repeat(16)}_${"A".repeat(43)}`;
    expect(parseApiToken(canonical)).toEqual({ id: "0".repeat(16), secret: "A".repeat(43) });
    expect(parseApiToken(`${canonical.slice(0, -1)}B`)).toBeUndefined();
  });
});

describe("hashSecret and secretMatches", () => {
  it("hashes with SHA-256 hex", () => {
    expect(hashSecret("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("matches only the secret that made the hash", () => {
    const hash = hashSecret("right");
    expect(secretMatches("right", hash)).toBe(true);
    expect(secretMatches("wrong", hash)).toBe(false);
    expect(secretMatches("", hash)).toBe(false);
  });

  it("refuses a malformed stored hash instead of throwing", () => {
    const hash = hashSecret("right");
    expect(secretMatches("right", hash.slice(2))).toBe(false);
    expect(secretMatches("right", hash.toUpperCase())).toBe(false);
    expect(secretMatches("right", "")).toBe(false);
  });
});
