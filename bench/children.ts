/**
 * Child processes of the benchmark (redis-server, the HTTP server, CLI commands). Every one is tracked
 * so that none outlives the run: they are killed when the run ends, fails or is interrupted.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { once } from "node:events";

const running = new Set<ChildProcess>();

function killAllNow(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

process.once("exit", killAllNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping child processes\n`);
    killAllNow();
    process.exit(130);
  });
}

/** Spawns a tracked child; it leaves the tracked set when it exits. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, options);
  running.add(child);
  child.once("exit", () => running.delete(child));
  // Without a listener a failed spawn (ENOENT) would throw from the event loop; callers see the exit.
  child.once("error", () => running.delete(child));
  return child;
}

/** Stops a child with SIGTERM, then SIGKILL after `graceMs`, and waits until it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Keeps the last `limit` characters a stream printed, for error messages. */
export function tail(stream: NodeJS.ReadableStream | null, limit = 4_000): () => string {
  let text = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    text = (text + chunk).slice(-limit);
  });
  return () => text;
}

/**
 * Runs a command to completion within `timeoutMs` and returns its stdout; throws with its stderr when
 * it fails or takes too long.
 */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<string> {
  const child = spawnTracked(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    stdout += chunk;
  });
  const stderr = tail(child.stderr);
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const [code, signal] = (await Promise.race([
    once(child, "exit"),
    once(child, "error").then(([error]) => {
      throw error;
    }),
  ])) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  if (code !== 0) {
    const how = signal ? `was killed (${signal}, limit ${options.timeoutMs} ms)` : `exited with ${code}`;
    throw new Error(`${command} ${args.join(" ")} ${how}:\n${stderr()}`);
  }
  return stdout;
}
