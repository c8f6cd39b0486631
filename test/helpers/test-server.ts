/**
 * A real server on a loopback socket over a fresh store of one backend, with the real CLI pointed at the
 * same store, and an admin (`root`), an analyst (`alice`) and a sensor (`probe`) user with a token each.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ConfigFlags, loadConfig } from "../../src/config.js";
import { startServer } from "../../src/server.js";
import { type BackendName, deleteRedisPrefix, storeUrlOf, uniquePrefix } from "./backends.js";
import { type CliResult, runCli } from "./cli.js";

export interface TestServer {
  base: string;
  /** The operations listener (health, metrics), when `opsListen` was set. */
  opsBase: string | undefined;
  adminToken: string;
  analystToken: string;
  sensorToken: string;
  /** Runs the CLI on this server's store; throws with its stderr when it fails. */
  cli(...args: string[]): Promise<CliResult>;
  /** Ingests passivedns text through the CLI, as a sensor's file would be. */
  ingestPassiveDns(text: string): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * Settings for the server beyond the store (flag names as in config.ts, values as on the command line;
 * `config`: a JSON config file, under these and the store's environment).
 */
export type ServerSettings = ConfigFlags;

export async function startTestServer(
  backend: BackendName,
  settings: ServerSettings = {},
): Promise<TestServer> {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  if (backend === "lmdb") {
    const dir = await mkdtemp(join(tmpdir(), "pp-http-"));
    env = { PDNS_PSSL_DATA_DIR: dir, PDNS_PSSL_STORE: "embedded" };
    cleanup = () => rm(dir, { recursive: true, force: true });
  } else {
    const prefix = uniquePrefix();
    const url = storeUrlOf(backend);
    env = { PDNS_PSSL_STORE: url, PDNS_PSSL_KEY_PREFIX: prefix };
    cleanup = () => deleteRedisPrefix(prefix, url);
  }
  const server = await startServer(loadConfig({ listen: "127.0.0.1:0", ...settings }, env));
  const cli = async (...args: string[]) => {
    const result = await runCli(args, env);
    if (result.code !== 0) throw new Error(`pdns-pssl ${args.join(" ")} failed: ${result.stderr}`);
    return result;
  };
  await cli("users", "add", "root", "--role", "admin");
  await cli("users", "add", "alice", "--role", "analyst");
  await cli("users", "add", "probe", "--role", "sensor");
  return {
    base: `http://127.0.0.1:${server.port}`,
    opsBase: server.opsPort === undefined ? undefined : `http://127.0.0.1:${server.opsPort}`,
    adminToken: (await cli("tokens", "create", "root", "--name", "test")).stdout.trim(),
    analystToken: (await cli("tokens", "create", "alice", "--name", "test")).stdout.trim(),
    sensorToken: (await cli("tokens", "create", "probe")).stdout.trim(),
    cli,
    async ingestPassiveDns(text: string) {
      const file = join(tmpdir(), `pp-ingest-${process.pid}-${randomBytes(4).toString("hex")}.txt`);
      await writeFile(file, text);
      try {
        return await cli("ingest", "passivedns", file);
      } finally {
        await rm(file, { force: true });
      }
    },
    async close() {
      await server.close();
      await cleanup();
    },
  };
}
