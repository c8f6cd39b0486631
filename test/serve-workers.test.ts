/**
 * `serve --workers 2` as a user runs it: two processes answer on one port, a user's quota is shared by
 * both (counters in the embedded store, not in a process), the operations listener sums both workers'
 * metrics, a killed worker is started again, and SIGTERM stops everything cleanly.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";
import { basic } from "./helpers/http.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function workerPids(primary: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(primary)], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l !== "")
      .map(Number);
  } catch {
    return [];
  }
}

describe("serve --workers 2 (embedded store)", () => {
  let dir: string;
  let primary: ChildProcess;
  let stderr = "";
  let base: string;
  let ops: string;
  let token: string;
  const env = () => ({ PDNS_PSSL_DATA_DIR: join(dir, "data"), PDNS_PSSL_STORE: "embedded" });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-workers-"));
    const cli = async (...args: string[]) => {
      const result = await runCli(args, env());
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.trim();
    };
    await cli("users", "add", "alice", "--role", "analyst");
    await cli("quotas", "set", "alice", "--daily", "10");
    token = await cli("tokens", "create", "alice");
    primary = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli.ts",
        "serve",
        "--workers",
        "2",
        "--listen",
        "127.0.0.1:0",
        "--ops-listen",
        "127.0.0.1:0",
      ],
      { cwd: ROOT, env: { ...process.env, ...env() }, stdio: ["ignore", "ignore", "pipe"] },
    );
    primary.stderr?.setEncoding("utf8");
    primary.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    ops = await until(
      "the operations listener",
      () => /metrics\) on (http:\/\/[0-9.]+:\d+)/.exec(stderr)?.[1],
    );
    base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1] as string;
  }, 60_000);

  afterAll(async () => {
    for (const pid of workerPids(primary.pid as number)) process.kill(pid, "SIGKILL");
    primary.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("answers from two worker processes sharing one quota and one metrics view", async () => {
    expect(workerPids(primary.pid as number)).toHaveLength(2);
    expect(stderr.match(/listening on http/g)).toHaveLength(2);
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      // A new connection each time: the primary hands connections to the workers in turn.
      const response = await fetch(`${base}/pdns/query/www.example.lu`, {
        headers: { Authorization: basic("alice", token), Connection: "close" },
      });
      await response.text();
      statuses.push(response.status);
    }
    // Ten a day for alice, whichever process answers.
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    const line = (status: number) =>
      metrics
        .split("\n")
        .find((l) =>
          l.startsWith(
            `pdns_pssl_http_requests_total{method="GET",route="/pdns/query/*",status="${status}"}`,
          ),
        );
    expect(Number(line(200)?.split(" ").at(-1))).toBe(10);
    expect(Number(line(429)?.split(" ").at(-1))).toBe(6);
    expect(await (await fetch(`${ops}/readyz`)).json()).toEqual({ status: "ok" });
  });

  it("starts a killed worker again, and stops every process on SIGTERM", async () => {
    const [victim] = workerPids(primary.pid as number);
    process.kill(victim as number, "SIGKILL");
    await until("the worker to be replaced", () => {
      const pids = workerPids(primary.pid as number);
      return pids.length === 2 && !pids.includes(victim as number) ? pids : undefined;
    });
    await until("the new worker to listen", () =>
      (stderr.match(/listening on http/g) ?? []).length >= 3 ? true : undefined,
    );
    expect(
      (
        await fetch(`${base}/pdns/query/www.example.lu`, {
          headers: { Authorization: basic("alice", token) },
        })
      ).status,
    ).toBe(429);
    const exited = new Promise<number | null>((resolve) => primary.once("exit", (code) => resolve(code)));
    const workers = workerPids(primary.pid as number);
    primary.kill("SIGTERM");
    expect(await exited).toBe(0);
    await until(
      "the workers to exit",
      () => (workers.every((pid) => !alive(pid)) ? true : undefined),
      10_000,
    );
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
