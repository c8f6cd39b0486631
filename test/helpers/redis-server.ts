/**
 * A private redis-server for one test, a child process on a free loopback port: to stand for a D4
 * server's Redis that can be killed and started again (on the same port, over the same data when
 * `persistent`: AOF, fsync'd on every write).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";

export const redisServerBinary = (process.env.PATH ?? "")
  .split(delimiter)
  .map((dir) => join(dir, "redis-server"))
  .find((path) => existsSync(path));

export interface PrivateRedis {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  /** Kills the server (SIGKILL by default) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory, and waits until it answers. */
  restart(): Promise<void>;
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  await once(server, "close");
  if (typeof address !== "object" || address === null) throw new Error("no port from the OS");
  return address.port;
}

export async function startPrivateRedis(options: {
  dir: string;
  persistent?: boolean;
  password?: string;
}): Promise<PrivateRedis> {
  if (!redisServerBinary) throw new Error("redis-server is not on PATH");
  const port = await freePort();
  const args = [
    "--port",
    `${port}`,
    "--bind",
    "127.0.0.1",
    "--dir",
    options.dir,
    "--save",
    "",
    ...(options.persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(options.password ? ["--requirepass", options.password] : []),
  ];
  let child: ChildProcess | undefined;
  const start = async () => {
    const started = spawn(redisServerBinary as string, args, { stdio: "ignore" });
    child = started;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis({
        port,
        host: "127.0.0.1",
        password: options.password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on("error", () => {});
      try {
        await probe.connect();
        await probe.ping();
        return;
      } catch (error) {
        if (started.exitCode !== null || Date.now() > deadline) {
          started.kill("SIGKILL");
          throw new Error(`redis-server did not start on port ${port}: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        probe.disconnect();
      }
    }
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, "exit");
      running.kill(signal);
      await exited;
    },
    restart: start,
  };
}
