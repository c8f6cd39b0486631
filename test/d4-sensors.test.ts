/** D4 sensor lifecycle on both stores, and the `sensors` CLI with its client configuration folder. */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sensors } from "../src/d4/sensors.js";
import { BACKENDS, backendAvailable, describeEachBackend, redisReachable } from "./helpers/backends.js";
import { runCli } from "./helpers/cli.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

describeEachBackend("D4 sensors", ({ store }) => {
  it("records an unknown sensor as pending, approves it with a key stored only encrypted, revokes and deletes it", async () => {
    const sensors = new Sensors(store(), randomBytes(32));
    const uuid = randomUUID();
    await sensors.notePending(uuid, "192.0.2.7");
    expect(await sensors.get(uuid)).toMatchObject({
      uuid,
      status: "pending",
      sourceIp: "192.0.2.7",
      bytes: 0,
    });
    expect(await sensors.keyOf(uuid)).toBeUndefined();

    const key = await sensors.approve(uuid, "8");
    expect(key).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await sensors.keyOf(uuid))?.toString()).toBe(key);
    const raw = (await store().getDoc("sensor", uuid)) as string;
    expect(raw).not.toContain(key);
    expect(JSON.stringify(await sensors.list())).not.toContain("keyCipher");
    // Another server secret cannot read it.
    await expect(new Sensors(store(), randomBytes(32)).keyOf(uuid)).rejects.toThrow();

    await sensors.noteSession(uuid, { bytes: 100, records: 3, rejects: 1, sourceIp: "192.0.2.8" });
    expect(await sensors.get(uuid)).toMatchObject({
      status: "approved",
      type: "8",
      bytes: 100,
      records: 3,
      rejects: 1,
    });
    await sensors.revoke(uuid);
    expect(await sensors.keyOf(uuid)).toBeUndefined();
    expect((await sensors.get(uuid))?.status).toBe("revoked");
    await sensors.delete(uuid);
    expect(await sensors.get(uuid)).toBeUndefined();
    await expect(sensors.revoke(uuid)).rejects.toMatchObject({ code: "no_such_sensor" });
    await expect(sensors.approve("not-a-uuid")).rejects.toMatchObject({ code: "invalid_uuid" });
  });
});

describe("pdns-pssl sensors", () => {
  let dir = "";
  let env: Record<string, string> = {};
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-sensors-"));
    env = { PDNS_PSSL_DATA_DIR: join(dir, "data"), PDNS_PSSL_STORE: "embedded" };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("creates a sensor and its D4 client folder, approves, lists and revokes, with a private server secret", async () => {
    const folder = join(dir, "client");
    const added = await runCli(
      ["sensors", "add", "--type", "ja3-jl", "--destination", "d4.example:4443", "--out", folder],
      env,
    );
    expect(added.code).toBe(0);
    const uuid = added.stdout.trim();
    const read = (name: string) => readFile(join(folder, name), "utf8");
    expect(await read("uuid")).toBe(`${uuid}\n`);
    expect(await read("destination")).toBe("d4.example:4443\n");
    expect(await read("type")).toBe("254\n");
    expect(JSON.parse(await read("metaheader.json"))).toEqual({ type: "ja3-jl", encoding: "utf-8" });
    expect((await read("key")).trim()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(join(folder, "key"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "data", "secret.key"))).mode & 0o777).toBe(0o600);

    const other = randomUUID();
    const approved = await runCli(["sensors", "approve", other, "--type", "8"], env);
    expect(approved.code).toBe(0);
    expect(approved.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const list = JSON.parse((await runCli(["sensors", "list", "--json"], env)).stdout);
    expect(list.map((s: { uuid: string; status: string }) => `${s.uuid} ${s.status}`).sort()).toEqual(
      [`${uuid} approved`, `${other} approved`].sort(),
    );
    expect((await runCli(["sensors", "revoke", other], env)).stdout).toMatch(/revoked/);
    const missing = await runCli(["sensors", "delete", randomUUID()], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no sensor/);
  });

  it("refuses a secret key that is not 32 bytes without echoing it", async () => {
    const bad = await runCli(["sensors", "list"], { PDNS_PSSL_SECRET_KEY: "c2VjcmV0LXRvby1zaG9ydA==" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/PDNS_PSSL_SECRET_KEY/);
    expect(bad.stderr).not.toContain("c2VjcmV0LXRvby1zaG9ydA==");
  });
});

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`admin API for sensors [${backend}]`, () => {
    let server: TestServer;
    beforeAll(async () => {
      // On Redis (one node or a cluster) the server needs a secret key given; the embedded store makes its own.
      server = await startTestServer(
        backend,
        backend !== "lmdb" ? { secretKey: randomBytes(32).toString("base64") } : {},
      );
    }, 60_000);
    afterAll(() => server?.close());

    const call = async (method: string, path: string, body?: object, who: "admin" | "analyst" = "admin") => {
      const authorization =
        who === "admin" ? basic("root", server.adminToken) : basic("alice", server.analystToken);
      const response = await fetch(`${server.base}${path}`, {
        method,
        headers: { authorization },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
    };

    it("creates, approves, lists, revokes and deletes sensors; only admins may", async () => {
      const created = await call("POST", "/admin/sensors", { type: "ja3-jl" });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({
        type: "ja3-jl",
        key: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/),
      });
      const pending = randomUUID();
      const approved = await call("POST", `/admin/sensors/${pending}/approve`, { type: "8" });
      expect(approved).toMatchObject({ status: 200, json: { uuid: pending } });
      const list = await call("GET", "/admin/sensors");
      expect(list.json.sensors.map((s: { uuid: string }) => s.uuid).sort()).toEqual(
        [created.json.uuid, pending].sort(),
      );
      expect(JSON.stringify(list.json)).not.toContain(approved.json.key);
      expect(await call("POST", `/admin/sensors/${pending}/revoke`)).toMatchObject({
        status: 200,
        json: { status: "revoked" },
      });
      expect((await call("DELETE", `/admin/sensors/${pending}`)).status).toBe(204);
      expect((await call("DELETE", `/admin/sensors/${pending}`)).status).toBe(404);
      expect((await call("POST", "/admin/sensors/not-a-uuid/approve")).status).toBe(400);
      expect((await call("POST", "/admin/sensors", { type: "pcap" })).status).toBe(400);
      expect((await call("GET", "/admin/sensors", undefined, "analyst")).status).toBe(403);
    });
  });
}

describe.skipIf(!redisReachable)("admin API for sensors without a secret key", () => {
  it("answers 503 on Redis when no secret key was given", async () => {
    const server = await startTestServer("redis");
    try {
      const response = await fetch(`${server.base}/admin/sensors`, {
        headers: { authorization: basic("root", server.adminToken) },
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { message: string }).message).toMatch(/PDNS_PSSL_SECRET_KEY/);
    } finally {
      await server.close();
    }
  });
});
