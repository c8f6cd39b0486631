import { describe, expect, it } from "vitest";
import { parseCredentials } from "../src/auth/credentials.js";

const TOKEN = `pps_0123456789abcdef_${"A".repeat(43)}`;

function basic(userPass: string): string {
  return `Basic ${Buffer.from(userPass, "utf8").toString("base64")}`;
}

describe("parseCredentials", () => {
  it("reads HTTP Basic as curl -u sends it", () => {
    expect(parseCredentials({ authorization: basic(`alice:${TOKEN}`) })).toEqual({
      kind: "basic",
      user: "alice",
      token: TOKEN,
    });
  });

  it("reads the Basic scheme in any case", () => {
    const header = basic("alice:secret").replace("Basic", "bAsIc");
    expect(parseCredentials({ authorization: header })).toEqual({
      kind: "basic",
      user: "alice",
      token: "secret",
    });
  });

  it("splits Basic at the first colon", () => {
    expect(parseCredentials({ authorization: basic("alice:a:b:c") })).toEqual({
      kind: "basic",
      user: "alice",
      token: "a:b:c",
    });
  });

  it("reads a bare token in Authorization, as PyPDNS and PyPSSL send it", () => {
    expect(parseCredentials({ authorization: TOKEN })).toEqual({ kind: "token", token: TOKEN });
    expect(parseCredentials({ authorization: `  ${TOKEN} ` })).toEqual({ kind: "token", token: TOKEN });
  });

  it("reads a Bearer JWT (three base64url parts, the last may be empty)", () => {
    const jwt = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2ln";
    expect(parseCredentials({ authorization: `Bearer ${jwt}` })).toEqual({ kind: "bearer", jwt });
    expect(parseCredentials({ authorization: `bearer ${jwt}` })).toEqual({ kind: "bearer", jwt });
    expect(parseCredentials({ authorization: "Bearer eyJhbGciOiJub25lIn0.e30." })).toEqual({
      kind: "bearer",
      jwt: "eyJhbGciOiJub25lIn0.e30.",
    });
    for (const bad of [
      "Bearer",
      "Bearer abc",
      "Bearer a.b",
      "Bearer a.b.c.d",
      "Bearer a b.c.d",
      "Bearer a.b.c!",
    ]) {
      expect(parseCredentials({ authorization: bad }), bad).toBeUndefined();
    }
  });

  it("reads X-API-Key, as dnsdbq sends it", () => {
    expect(parseCredentials({ apiKey: TOKEN })).toEqual({ kind: "token", token: TOKEN });
    expect(parseCredentials({ authorization: null, apiKey: TOKEN })).toEqual({ kind: "token", token: TOKEN });
  });

  it("lets Authorization decide when both headers are sent", () => {
    const other = `pps_fedcba9876543210_${"B".repeat(43)}`;
    expect(parseCredentials({ authorization: TOKEN, apiKey: other })).toEqual({
      kind: "token",
      token: TOKEN,
    });
    expect(parseCredentials({ authorization: "Basic !!!", apiKey: TOKEN })).toBeUndefined();
  });

  it.each([
    ["nothing", {}],
    ["nulls", { authorization: null, apiKey: null }],
    ["empty headers", { authorization: "", apiKey: "" }],
    ["a bare scheme", { authorization: "Basic" }],
    ["Basic with garbage", { authorization: "Basic !!!notbase64" }],
    ["Basic with broken padding", { authorization: "Basic YWxpY2U6c2VjcmV0=" }],
    ["Basic with unpadded base64", { authorization: "Basic YWxpY2U6c2VjcmV0Zg" }],
    ["Basic with two parameters", { authorization: `${basic("alice:secret")} extra` }],
    ["Basic without a colon", { authorization: basic("alice") }],
    ["Basic without a user", { authorization: basic(":secret") }],
    ["Basic without a token", { authorization: basic("alice:") }],
    [
      "Basic that is not UTF-8",
      { authorization: `Basic ${Buffer.from([0x61, 0x3a, 0xff]).toString("base64")}` },
    ],
    ["a Bearer token", { authorization: `Bearer ${TOKEN}` }],
    ["another scheme", { authorization: `Token ${TOKEN}` }],
    ["a bare word that is not a token", { authorization: "hunter2" }],
    ["an X-API-Key that is not a token", { apiKey: "0123456789abcdef" }],
    ["an X-API-Key with spaces", { apiKey: `${TOKEN} ${TOKEN}` }],
  ])("refuses %s", (_, headers) => {
    expect(parseCredentials(headers)).toBeUndefined();
  });
});
