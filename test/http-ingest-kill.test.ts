/**
 * Nothing acknowledged is lost: a real `serve` process is SIGKILLed in the middle of an HTTP ingest;
 * after a restart on the same store, every record of the ingests that were answered 200 is there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { basic, parseNdjsonStrict } from "./helpers/http.js";

const ROOT = new URL("..", import.meta.url).pathname;
let dir = "";
let env: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-ingest-kill-"));
  env = { PDNS_PSSL_DATA_DIR: join(dir, "store"), PDNS_PSSL_STORE: "embedded" };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

async function serve(port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli.ts", "serve", "--listen", `127.0.0.1:${port}`],
    {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    child.stderr?.on("data", (d) => {
      seen += d;
      if (seen.includes("listening on")) resolve();
    });
    child.once("exit", () => reject(new Error(`serve exited: ${seen}`)));
  });
  return child;
}

const lines = (prefix: string, count: number) =>
  Array.from(
    { length: count },
    (_, n) =>
      `1700000000.1||10.0.0.1||10.0.0.2||IN||${prefix}.example.||A||10.${n >> 16}.${(n >> 8) & 255}.${n & 255}||60||1\n`,
  ).join("");

it("keeps every acknowledged record when the server is SIGKILLed during another ingest", async () => {
  await runCli(["users", "add", "probe", "--role", "sensor"], env);
  await runCli(["users", "add", "alice", "--role", "analyst"], env);
  const sensor = basic("probe", (await runCli(["tokens", "create", "probe"], env)).stdout.trim());
  const analyst = basic("alice", (await runCli(["tokens", "create", "alice"], env)).stdout.trim());
  const port = await freePort();
  let server = await serve(port);
  const base = `http://127.0.0.1:${port}`;
  try {
    const acknowledged = await fetch(`${base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization: sensor },
      body: lines("acked", 20_000),
    });
    expect(acknowledged.status).toBe(200);

    // A slow, large ingest: killed while it streams, so it is never acknowledged.
    let sent = 0;
    const slow = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent >= 200) return controller.close();
        controller.enqueue(new TextEncoder().encode(lines(`slow${sent}`, 1000)));
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    });
    const pending = fetch(`${base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization: sensor },
      body: slow,
      duplex: "half",
    } as RequestInit).then(
      (r) => r.status,
      () => "connection lost",
    );
    for (const deadline = Date.now() + 30_000; sent < 30 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(sent).toBeGreaterThanOrEqual(30);
    server.kill("SIGKILL");
    await new Promise((resolve) => server.once("exit", resolve));
    expect(await pending).toBe("connection lost");

    server = await serve(port);
    const answer = await fetch(`${base}/pdns/query/acked.example`, { headers: { authorization: analyst } });
    expect(parseNdjsonStrict(await answer.text())).toHaveLength(20_000);
  } finally {
    server.kill("SIGKILL");
  }
}, 120_000);
