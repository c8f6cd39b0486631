import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AccountError, Accounts } from "../src/auth/accounts.js";
import { parseApiToken } from "../src/auth/api-token.js";
import { openLmdbStore } from "../src/store/lmdb-store.js";
import type { Store } from "../src/store/types.js";

let dir: string;
let store: Store;
let accounts: Accounts;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-"));
  store = await openLmdbStore(dir);
  accounts = new Accounts(store);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function expectAccountError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AccountError);
  expect((error as AccountError).code).toBe(code);
}

describe("users", () => {
  it("adds, reads and lists users", async () => {
    const bob = await accounts.addUser("bob", "analyst");
    expect(bob).toMatchObject({ name: "bob", role: "analyst", disabled: false });
    expect(Date.parse(bob.createdAt)).not.toBeNaN();
    await accounts.addUser("alice@example.org", "admin");
    await accounts.addUser("sensor-1.lu", "sensor");
    expect(await accounts.getUser("bob")).toEqual(bob);
    expect(await accounts.getUser("nobody")).toBeUndefined();
    expect((await accounts.listUsers()).map((u) => u.name)).toEqual([
      "alice@example.org",
      "bob",
      "sensor-1.lu",
    ]);
  });

  it("refuses a duplicate name", async () => {
    await accounts.addUser("bob", "analyst");
    await expectAccountError(accounts.addUser("bob", "admin"), "user_exists");
    expect((await accounts.getUser("bob"))?.role).toBe("analyst");
  });

  it.each(["", "a".repeat(65), "bob smith", "bob:x", "bob/x", "bøb", "bob\n"])(
    "refuses the name %j",
    async (name) => {
      await expectAccountError(accounts.addUser(name, "analyst"), "invalid_name");
    },
  );

  it("accepts a 64-character name", async () => {
    await accounts.addUser("a".repeat(64), "analyst");
    expect(await accounts.getUser("a".repeat(64))).toBeDefined();
  });

  it("refuses an unknown role", async () => {
    await expectAccountError(accounts.addUser("bob", "root" as "admin"), "invalid_role");
  });

  it("knows whether an admin exists", async () => {
    expect(await accounts.hasAdmin()).toBe(false);
    await accounts.addUser("bob", "analyst");
    expect(await accounts.hasAdmin()).toBe(false);
    await accounts.addUser("alice", "admin");
    expect(await accounts.hasAdmin()).toBe(true);
  });
});

describe("tokens", () => {
  beforeEach(async () => {
    await accounts.addUser("alice", "admin");
    await accounts.addUser("bob", "analyst");
  });

  it("creates tokens only for existing users", async () => {
    await expectAccountError(accounts.createToken("nobody"), "no_such_user");
    await expectAccountError(accounts.listTokens("nobody"), "no_such_user");
  });

  it("lists a user's tokens without hash or secret", async () => {
    const first = await accounts.createToken("bob", "laptop");
    const second = await accounts.createToken("bob");
    await accounts.createToken("alice", "other");
    const listed = await accounts.listTokens("bob");
    // Both may share a millisecond, so compare without relying on their order.
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        { id: first.id, label: "laptop", createdAt: first.createdAt },
        { id: second.id, label: "", createdAt: second.createdAt },
      ]),
    );
    const text = JSON.stringify(listed);
    for (const created of [first, second]) {
      expect(text).not.toContain(parseApiToken(created.token)?.secret);
    }
    expect(text).not.toContain("secretHash");
  });

  it("stores a hash, never the secret", async () => {
    const created = await accounts.createToken("bob", "laptop");
    const secret = parseApiToken(created.token)?.secret ?? "";
    const json = (await store.getDoc("token", created.id)) ?? "";
    expect(JSON.parse(json)).toMatchObject({ id: created.id, user: "bob", label: "laptop" });
    expect(json).not.toContain(secret);
    expect(json).not.toContain(created.token);
  });

  it("revokes only the owner's existing token", async () => {
    const bobs = await accounts.createToken("bob");
    await expectAccountError(accounts.revokeToken("alice", bobs.id), "no_such_token");
    await expectAccountError(accounts.revokeToken("bob", "0123456789abcdef"), "no_such_token");
    await expectAccountError(accounts.revokeToken("bob", "../../etc"), "no_such_token");
    await expectAccountError(accounts.revokeToken("nobody", bobs.id), "no_such_user");
    expect(await accounts.listTokens("bob")).toHaveLength(1);
    await accounts.revokeToken("bob", bobs.id);
    expect(await accounts.listTokens("bob")).toEqual([]);
    await expectAccountError(accounts.revokeToken("bob", bobs.id), "no_such_token");
  });
});

describe("authenticate", () => {
  let token: string;
  let tokenId: string;

  beforeEach(async () => {
    await accounts.addUser("bob", "analyst");
    await accounts.addUser("alice", "admin");
    ({ token, id: tokenId } = await accounts.createToken("bob", "cli"));
  });

  const bob = () => ({ user: "bob", role: "analyst", tokenId });

  it("accepts Basic user:token", async () => {
    expect(await accounts.authenticate({ kind: "basic", user: "bob", token })).toMatchObject(bob());
  });

  it("accepts a bare token (Authorization or X-API-Key)", async () => {
    expect(await accounts.authenticate({ kind: "token", token })).toMatchObject(bob());
  });

  it("refuses Basic with another user's name", async () => {
    expect(await accounts.authenticate({ kind: "basic", user: "alice", token })).toBeUndefined();
    expect(await accounts.authenticate({ kind: "basic", user: "nobody", token })).toBeUndefined();
  });

  it("refuses a revoked token on the very next request", async () => {
    expect(await accounts.authenticate({ kind: "token", token })).toBeDefined();
    await accounts.revokeToken("bob", tokenId);
    expect(await accounts.authenticate({ kind: "token", token })).toBeUndefined();
    expect(await accounts.authenticate({ kind: "basic", user: "bob", token })).toBeUndefined();
  });

  it("refuses an unknown id", async () => {
    const unknown = token.replace(tokenId, tokenId === "0".repeat(16) ? "1".repeat(16) : "0".repeat(16));
    expect(await accounts.authenticate({ kind: "token", token: unknown })).toBeUndefined();
  });

  it("refuses a tampered secret", async () => {
    const last = token.at(-1) === "A" ? "E" : "A";
    const tampered = `${token.slice(0, -1)}${last}`;
    expect(parseApiToken(tampered)).toBeDefined();
    expect(await accounts.authenticate({ kind: "token", token: tampered })).toBeUndefined();
  });

  it("refuses another user's secret under this id", async () => {
    const alices = await accounts.createToken("alice");
    const secret = parseApiToken(alices.token)?.secret;
    const mixed = `pps_${tokenId}_${secret}`;
    expect(await accounts.authenticate({ kind: "token", token: mixed })).toBeUndefined();
  });

  it("refuses malformed tokens", async () => {
    for (const text of ["", "hunter2", token.slice(0, -1), `${token} `]) {
      expect(await accounts.authenticate({ kind: "token", token: text })).toBeUndefined();
    }
  });

  it("refuses an expired token and accepts one not yet expired", async () => {
    const doc = JSON.parse((await store.getDoc("token", tokenId)) ?? "{}");
    await store.putDoc("token", tokenId, JSON.stringify({ ...doc, expiresAt: "2000-01-01T00:00:00.000Z" }));
    expect(await accounts.authenticate({ kind: "token", token })).toBeUndefined();
    await store.putDoc("token", tokenId, JSON.stringify({ ...doc, expiresAt: "2999-01-01T00:00:00.000Z" }));
    expect(await accounts.authenticate({ kind: "token", token })).toMatchObject(bob());
  });

  it("refuses a disabled user's token", async () => {
    const user = JSON.parse((await store.getDoc("user", "bob")) ?? "{}");
    await store.putDoc("user", "bob", JSON.stringify({ ...user, disabled: true }));
    expect(await accounts.authenticate({ kind: "token", token })).toBeUndefined();
  });

  it("follows a role change without caching", async () => {
    const user = JSON.parse((await store.getDoc("user", "bob")) ?? "{}");
    await store.putDoc("user", "bob", JSON.stringify({ ...user, role: "sensor" }));
    expect(await accounts.authenticate({ kind: "token", token })).toMatchObject({ ...bob(), role: "sensor" });
  });

  it("fails loudly on a corrupt token document", async () => {
    await store.putDoc("token", tokenId, "{not json");
    await expect(accounts.authenticate({ kind: "token", token })).rejects.toThrow(/not JSON/);
  });
});
