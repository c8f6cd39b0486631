/**
 * Helpers of the security suites: a real server on a loopback socket over a fresh store, with an admin
 * (`root`), an analyst (`alice`) and a sensor (`probe`) made in-process (no CLI processes: these suites
 * start several servers of their own settings), and raw-socket clients that send exactly the bytes a
 * test says, when it says.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Accounts } from "../../src/auth/accounts.js";
import { type Config, type ConfigFlags, loadConfig } from "../../src/config.js";
import { startServer } from "../../src/server.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/types.js";
import { type BackendName, deleteRedisPrefix, storeUrlOf, uniquePrefix } from "../helpers/backends.js";
import { basic } from "../helpers/http.js";

export interface SecurityServer {
  base: string;
  port: number;
  /** The operations listener, when `opsListen` was set. */
  opsBase: string | undefined;
  /** Basic headers of root (admin), alice (analyst) and probe (sensor). */
  admin: string;
  analyst: string;
  sensor: string;
  /** The tokens themselves. */
  tokens: { admin: string; analyst: string; sensor: string };
  /** The Redis key prefix (Redis backends). */
  prefix: string | undefined;
  close(): Promise<void>;
}

/**
 * Starts the server. `seed` runs on the store before the server opens it (the store is closed between:
 * nothing in the test touches a store the server has open).
 */
export async function startSecurityServer(
  backend: BackendName = "lmdb",
  settings: ConfigFlags = {},
  seed?: (store: Store, config: Config) => Promise<void>,
): Promise<SecurityServer> {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let prefix: string | undefined;
  if (backend === "lmdb") {
    const dir = await mkdtemp(join(tmpdir(), "pp-security-"));
    env = { PDNS_PSSL_STORE: "embedded", PDNS_PSSL_DATA_DIR: dir };
    cleanup = () => rm(dir, { recursive: true, force: true });
  } else {
    prefix = uniquePrefix();
    const url = storeUrlOf(backend);
    env = { PDNS_PSSL_STORE: url, PDNS_PSSL_KEY_PREFIX: prefix };
    const p = prefix;
    cleanup = () => deleteRedisPrefix(p, url);
  }
  // Deliberate failures from one address are the point of several suites: no lockout unless asked.
  const config = loadConfig({ listen: "127.0.0.1:0", authFailureLimit: "1000000", ...settings }, env);
  const store = await openStore(config);
  const tokens = { admin: "", analyst: "", sensor: "" };
  try {
    const accounts = new Accounts(store);
    await accounts.addUser("root", "admin");
    await accounts.addUser("alice", "analyst");
    await accounts.addUser("probe", "sensor");
    tokens.admin = (await accounts.createToken("root", "test")).token;
    tokens.analyst = (await accounts.createToken("alice", "test")).token;
    tokens.sensor = (await accounts.createToken("probe", "test")).token;
    await seed?.(store, config);
  } finally {
    await store.close();
  }
  const server = await startServer(config);
  return {
    base: `http://127.0.0.1:${server.port}`,
    port: server.port,
    opsBase: server.opsPort === undefined ? undefined : `http://127.0.0.1:${server.opsPort}`,
    admin: basic("root", tokens.admin),
    analyst: basic("alice", tokens.analyst),
    sensor: basic("probe", tokens.sensor),
    tokens,
    prefix,
    async close() {
      await server.close();
      await cleanup();
    },
  };
}

/** What a raw connection received and how it ended. */
export interface RawOutcome {
  /** Everything the server sent, as latin1 text. */
  received: string;
  /** The status of the first answer, if one came. */
  status: number | undefined;
  /** Milliseconds from connecting to the server closing the connection (undefined: still open). */
  closedAfterMs: number | undefined;
}

/** A raw TCP connection to the server: write bytes when you like, learn what came back and when it closed. */
export interface RawConnection {
  socket: Socket;
  write(data: string | Buffer): void;
  /** Resolves once the server has closed the connection, or after `limitMs` (closing it then). */
  closed(limitMs: number): Promise<RawOutcome>;
  /** True until the connection closes. */
  readonly open: boolean;
}

export async function rawConnection(port: number): Promise<RawConnection> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const started = Date.now();
  const chunks: Buffer[] = [];
  let closedAt: number | undefined;
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  const whenClosed = new Promise<void>((resolve) =>
    socket.once("close", () => {
      closedAt = Date.now();
      resolve();
    }),
  );
  const outcome = (): RawOutcome => {
    const received = Buffer.concat(chunks).toString("latin1");
    const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
    return {
      received,
      status: status === undefined ? undefined : Number(status),
      closedAfterMs: closedAt === undefined ? undefined : closedAt - started,
    };
  };
  return {
    socket,
    write(data) {
      if (!socket.destroyed) socket.write(data);
    },
    async closed(limitMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([whenClosed, new Promise((resolve) => (timer = setTimeout(resolve, limitMs)))]);
      clearTimeout(timer);
      const result = outcome();
      socket.destroy();
      return result;
    },
    get open() {
      return closedAt === undefined;
    },
  };
}

/** Sends `request` whole on a fresh connection and returns what came back once the server closed it. */
export async function rawExchange(
  port: number,
  request: string | Buffer,
  limitMs = 5000,
): Promise<RawOutcome> {
  const connection = await rawConnection(port);
  connection.write(request);
  return connection.closed(limitMs);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The common error shape, and the id in it matching X-Request-Id. */
export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
}

export async function errorOf(response: Response): Promise<ErrorBody & { status: number }> {
  const text = await response.text();
  const body = JSON.parse(text) as ErrorBody;
  if (Object.keys(body).sort().join() !== "code,message,requestId") {
    throw new Error(`not the common error shape: ${text}`);
  }
  if (body.requestId !== response.headers.get("x-request-id"))
    throw new Error("requestId is not X-Request-Id");
  return { ...body, status: response.status };
}
