/**
 * Operations: /healthz, /readyz and /metrics need an admin on the API listener unless made public, and
 * answer without credentials on the operations listener; metrics count requests and ingest; the log is
 * JSON lines with a request id per request and never holds a credential the run created or used.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisReachable } from "./helpers/backends.js";
import { runCli } from "./helpers/cli.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The value of one sample of a metric (labels as written by prom-client, in order), or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

for (const backend of ["lmdb", "redis"] as const) {
  describe.skipIf(backend === "redis" && !redisReachable)(`operations endpoints [${backend}]`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { opsListen: "127.0.0.1:0" });
    }, 60_000);
    afterAll(() => server?.close());

    it("needs an admin for /healthz, /readyz and /metrics on the API listener", async () => {
      for (const path of ["/healthz", "/readyz", "/metrics"]) {
        expect((await fetch(`${server.base}${path}`)).status, path).toBe(401);
        const analyst = await fetch(`${server.base}${path}`, {
          headers: { Authorization: basic("alice", server.analystToken) },
        });
        expect(analyst.status, path).toBe(403);
        const admin = await fetch(`${server.base}${path}`, {
          headers: { Authorization: basic("root", server.adminToken) },
        });
        expect(admin.status, path).toBe(200);
      }
    });

    it("answers them without credentials on the operations listener, and nothing else there", async () => {
      const ops = server.opsBase as string;
      expect(await (await fetch(`${ops}/healthz`)).json()).toEqual({ status: "ok" });
      expect(await (await fetch(`${ops}/readyz`)).json()).toEqual({ status: "ok" });
      const metrics = await fetch(`${ops}/metrics`);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await metrics.text()).toMatch(/^# HELP pdns_pssl_http_requests_total /m);
      const query = await fetch(`${ops}/pdns/query/example.lu`, {
        headers: { Authorization: basic("alice", server.analystToken) },
      });
      expect(query.status).toBe(404);
    });

    it("counts requests by route pattern and status, and ingest by source and reject reason", async () => {
      const ops = server.opsBase as string;
      const before = await (await fetch(`${ops}/metrics`)).text();
      const analyst = { headers: { Authorization: basic("alice", server.analystToken) } };
      for (const name of ["a.example", "b.example", "c.example"]) {
        await (await fetch(`${server.base}/pdns/query/${name}`, analyst)).text();
      }
      const body = [
        "1795666358.860205||127.0.0.1||127.0.0.53||IN||ops.example.||A||192.0.2.10||300||1",
        "not a passivedns line",
        "1795666358.860205||127.0.0.1||127.0.0.53||IN||ops.example.||AAAA||2001:db8::1||300||1",
      ].join("\n");
      const ingest = await fetch(`${server.base}/ingest/passivedns`, {
        method: "POST",
        headers: { Authorization: basic("probe", server.sensorToken) },
        body,
      });
      const summary = (await ingest.json()) as { records: number; rejected: Record<string, number> };
      expect(summary.records).toBe(2);
      const [reason] = Object.keys(summary.rejected);
      const after = await (await fetch(`${ops}/metrics`)).text();
      const queries = 'method="GET",route="/pdns/query/*",status="200"';
      const counted = (text: string) => sample(text, "pdns_pssl_http_requests_total", queries) ?? 0;
      // The route label is the pattern, whatever the name asked.
      expect(after).not.toContain("a.example");
      expect(counted(after) - counted(before)).toBeGreaterThanOrEqual(3);
      const records = (text: string) =>
        sample(text, "pdns_pssl_ingest_records_total", 'source="http",format="passivedns"') ?? 0;
      expect(records(after) - records(before)).toBe(2);
      const rejected = (text: string) =>
        sample(
          text,
          "pdns_pssl_ingest_rejected_total",
          `source="http",format="passivedns",reason="${reason}"`,
        ) ?? 0;
      expect(rejected(after) - rejected(before)).toBe(1);
      expect(after).toMatch(
        /^pdns_pssl_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route=/m,
      );
    });
  });
}

describe("the log of a server that served credentials", () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let stderr = "";
  const secrets: string[] = [];
  const env = () => ({ PDNS_PSSL_DATA_DIR: join(dir, "data"), PDNS_PSSL_STORE: "embedded" });
  const cli = async (...args: string[]) => {
    const result = await runCli(args, env());
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trim();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-logs-"));
    await cli("users", "add", "root", "--role", "admin");
    secrets.push(await cli("tokens", "create", "root"));
    child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "serve", "--listen", "127.0.0.1:0"], {
      cwd: ROOT,
      env: { ...process.env, ...env() },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    const deadline = Date.now() + 30_000;
    while (!/listening on http/.test(stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  }, 60_000);

  afterAll(async () => {
    child?.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("is JSON lines with the request id of every request, and holds none of the run's secrets", async () => {
    const base = `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]}`;
    const admin = { Authorization: basic("root", secrets[0] as string) };
    const created = await fetch(`${base}/admin/users`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "alice", role: "analyst" }),
    });
    expect(created.status).toBe(201);
    const issued = await fetch(`${base}/admin/users/alice/tokens`, {
      method: "POST",
      headers: admin,
      body: "{}",
    });
    const aliceToken = ((await issued.json()) as { token: string }).token;
    secrets.push(aliceToken);
    const jwt = await fetch(`${base}/auth/token`, {
      method: "POST",
      headers: { Authorization: basic("alice", aliceToken) },
    });
    const bearer = ((await jwt.json()) as { token: string }).token;
    secrets.push(bearer);
    const ids: string[] = [];
    const attempts: Record<string, string>[] = [
      { Authorization: `Bearer ${bearer}` },
      { "X-API-Key": aliceToken },
      { Authorization: aliceToken },
      { Authorization: basic("alice", `${aliceToken}x`) },
      { Authorization: "Bearer not.a.jwt" },
      { Authorization: basic("mallory", "pps_0000000000000000_guess") },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${base}/pdns/query/www.example.lu`, { headers });
      await response.text();
      ids.push(response.headers.get("x-request-id") as string);
    }
    await new Promise((r) => setTimeout(r, 300));
    const lines = stderr.split("\n").filter((l) => l !== "");
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const entry of entries)
      expect(entry).toMatchObject({ level: expect.any(String), msg: expect.any(String) });
    for (const id of ids) {
      const line = entries.find((e) => e.req_id === id && e.msg === "request");
      expect(line, id).toMatchObject({
        method: "GET",
        route: "/pdns/query/*",
        path: "/pdns/query/www.example.lu",
      });
    }
    for (const secret of secrets) {
      expect(stderr).not.toContain(secret);
      // Nor the secret part of an API token (pps_<id>_<secret>) alone.
      if (secret.startsWith("pps_")) expect(stderr).not.toContain(secret.split("_").at(-1) as string);
    }
    expect(stderr).not.toMatch(/authorization|x-api-key/i);
  });
});
