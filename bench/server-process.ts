/**
 * The built server (`dist/cli.js`) as a child process: built once, pointed at a store with CLI flags,
 * given a user and a token through the CLI, started on a free loopback port, and stopped at the end.
 */
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runToEnd, spawnTracked, stopChild, tail } from "./children.js";

/** Resident memory of a process, in bytes, from /proc/<pid>/status. */
export interface Memory {
  rss: number;
  /** VmHWM: the highest RSS the process ever had. */
  peak: number;
  /** Heap and other private memory. */
  anon: number;
  /** Pages of mapped files (LMDB's memory map counts here), which the kernel can drop at will. */
  file: number;
}

export interface ServerProcess {
  baseUrl: string;
  pid: number;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

/** `npm run build` (tsc into dist/), once per run. */
export async function buildServer(root: string): Promise<void> {
  await runToEnd("npm", ["run", "--silent", "build"], { cwd: root, timeoutMs: 180_000 });
}

/** Creates an analyst `bench` in the store and returns an HTTP Basic header with a fresh token. */
export async function createCredentials(root: string, storeArgs: readonly string[]): Promise<string> {
  const cli = (args: string[]) =>
    runToEnd(process.execPath, [join(root, "dist/cli.js"), ...storeArgs, ...args], {
      cwd: root,
      timeoutMs: 30_000,
    });
  await cli(["users", "add", "bench", "--role", "analyst"]);
  const token = (await cli(["tokens", "create", "bench", "--name", "bench"])).trim();
  return `Basic ${Buffer.from(`bench:${token}`).toString("base64")}`;
}

/** Reads the memory figures of a running process (Linux only). */
export async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]) * 1024;
  };
  return { rss: kb("VmRSS"), peak: kb("VmHWM"), anon: kb("RssAnon"), file: kb("RssFile") };
}

/** Resolves with the port once the server logs that it listens; rejects if it exits first or is slow. */
export async function listeningPort(
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /listening on http:\/\/[^\s]*:(\d+) /.exec(output());
    if (match) return Number(match[1]);
    if (child.exitCode !== null || child.signalCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the server did not start listening:\n${output()}`);
}

/**
 * Starts `node dist/cli.js <store flags> serve` on a port the OS picks on 127.0.0.1: one process
 * (`--workers 1`) unless `serveArgs` says otherwise, so that figures compare across runs and machines.
 */
export async function startServer(
  root: string,
  storeArgs: readonly string[],
  serveArgs: readonly string[] = ["--workers", "1"],
): Promise<ServerProcess> {
  const args = [join(root, "dist/cli.js"), ...storeArgs, "serve", "--listen", "127.0.0.1:0", ...serveArgs];
  const child = spawnTracked(process.execPath, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
  const output = tail(child.stderr);
  let port: number;
  try {
    port = await listeningPort(child, output, 30_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const pid = child.pid as number;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid,
    memory: () => memoryOf(pid),
    stop: () => stopChild(child),
  };
}
