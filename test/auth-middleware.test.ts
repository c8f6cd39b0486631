import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Accounts } from "../src/auth/accounts.js";
import { type AuthVariables, requireRole } from "../src/http/auth-middleware.js";
import { errorHandler } from "../src/http/errors.js";
import { openLmdbStore } from "../src/store/lmdb-store.js";
import type { Store } from "../src/store/types.js";

let dir: string;
let store: Store;
let accounts: Accounts;
let app: Hono<{ Variables: AuthVariables }>;
let adminToken: string;
let analystToken: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-"));
  store = await openLmdbStore(dir);
  accounts = new Accounts(store);
  await accounts.addUser("alice", "admin");
  await accounts.addUser("bob", "analyst");
  adminToken = (await accounts.createToken("alice")).token;
  analystToken = (await accounts.createToken("bob")).token;
  app = new Hono<{ Variables: AuthVariables }>();
  app.onError(
    errorHandler((message) => {
      throw new Error(`unexpected error: ${message}`);
    }),
  );
  app.get("/admin", requireRole(accounts, ["admin"]), (c) => c.json(c.get("principal")));
  app.get("/query", requireRole(accounts, ["analyst"]), (c) => c.json(c.get("principal")));
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function basic(user: string, token: string): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;
}

async function expectUnauthorized(response: Response, secret?: string): Promise<void> {
  expect(response.status).toBe(401);
  expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="pdns-pssl"');
  const text = await response.text();
  expect(JSON.parse(text)).toMatchObject({ code: "unauthorized", message: expect.any(String) });
  if (secret) expect(text).not.toContain(secret);
}

describe("requireRole", () => {
  it("answers 401 with a Basic challenge when no credential is sent", async () => {
    await expectUnauthorized(await app.request("/query"));
  });

  it("answers 401 to a bad credential without echoing it", async () => {
    const forged = `${analystToken.slice(0, -1)}${analystToken.endsWith("A") ? "E" : "A"}`;
    await expectUnauthorized(await app.request("/query", { headers: { Authorization: forged } }), forged);
    await expectUnauthorized(
      await app.request("/query", { headers: { Authorization: basic("alice", analystToken) } }),
      analystToken,
    );
    await expectUnauthorized(await app.request("/query", { headers: { Authorization: "Basic !!!" } }));
  });

  it("answers 403 to a valid user without the role", async () => {
    const response = await app.request("/admin", { headers: { Authorization: basic("bob", analystToken) } });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: "forbidden" });
  });

  it("passes a curl -u style Basic header and sets the principal", async () => {
    const response = await app.request("/query", { headers: { Authorization: basic("bob", analystToken) } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user: "bob", role: "analyst" });
  });

  it("passes a bare token and an X-API-Key", async () => {
    const forms: Record<string, string>[] = [{ Authorization: analystToken }, { "X-API-Key": analystToken }];
    for (const headers of forms) {
      const response = await app.request("/query", { headers });
      expect(response.status).toBe(200);
    }
  });

  it("lets admin through every role check", async () => {
    for (const path of ["/admin", "/query"]) {
      const response = await app.request(path, { headers: { Authorization: adminToken } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ user: "alice", role: "admin" });
    }
  });

  it("refuses a token revoked after it was used", async () => {
    const headers = { Authorization: analystToken };
    expect((await app.request("/query", { headers })).status).toBe(200);
    const [listed] = await accounts.listTokens("bob");
    await accounts.revokeToken("bob", listed?.id ?? "");
    await expectUnauthorized(await app.request("/query", { headers }));
  });

  it("refuses an empty role list at construction", () => {
    expect(() => requireRole(accounts, [])).toThrow(/at least one role/);
  });
});
