/**
 * The D4 sensor endpoint: a TLS listener speaking the D4 protocol (d4-session.ts). Each connection is
 * one session of one sensor: an unknown uuid is recorded as pending and the connection closed; an
 * approved sensor's lines are written to the store in batches (passivedns for type 8, ja3-jl for the
 * extended type), batch after batch, as the ingest CLI writes them. A session that breaks the rules
 * (bad HMAC, oversize payload, wrong first packet, type or uuid change) is ended, counted and logged
 * with its reason; only lines of packets that passed their HMAC check are ever written.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createServer, type Server, type TLSSocket } from "node:tls";
import { promisify } from "node:util";
import { ingestLines } from "../ingest/ingest-lines.js";
import type { Store } from "../store/types.js";
import { D4Session, D4SessionError, type D4SessionFailure } from "./d4-session.js";
import type { Sensors } from "./sensors.js";

export interface D4ListenerOptions {
  host: string;
  port: number;
  /** PEM certificate and key; a self-signed pair is made in `dataDir` when absent. */
  cert?: string | undefined;
  key?: string | undefined;
  dataDir: string;
  store: Store;
  sensors: Sensors;
  maxPayloadBytes?: number | undefined;
  log: (message: string) => void;
}

/** What the endpoint saw since it started (for /info and metrics). */
export interface D4ListenerStats {
  /** Sessions since start, and open now. */
  sessions: number;
  open: number;
  /** Bytes received (as sent, D4 headers included). */
  bytes: number;
  lines: number;
  records: number;
  /** Lines written that did not parse. */
  rejected: number;
  /** Sessions ended for breaking a rule, by reason. */
  refused: Partial<Record<D4SessionFailure | "error", number>>;
}

const LINES_PER_BATCH = 5000;
const FLUSH_MS = 1000;

/** A self-signed certificate for the listener, made once with the system's openssl. */
async function selfSignedPair(dataDir: string): Promise<{ cert: string; key: string }> {
  const certFile = join(dataDir, "d4-cert.pem");
  const keyFile = join(dataDir, "d4-key.pem");
  try {
    return { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
  } catch {
    // Not made yet.
  }
  // With Redis as the store nothing else makes the data directory.
  await mkdir(dataDir, { recursive: true });
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "3650",
    "-subj",
    "/CN=pdns-pssl D4 endpoint",
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  return { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8") };
}

export async function startD4Listener(
  options: D4ListenerOptions,
): Promise<{ port: number; stats: D4ListenerStats; close(): Promise<void> }> {
  const pair =
    options.cert && options.key
      ? { cert: await readFile(options.cert, "utf8"), key: await readFile(options.key, "utf8") }
      : await selfSignedPair(options.dataDir);
  const stats: D4ListenerStats = {
    sessions: 0,
    open: 0,
    bytes: 0,
    lines: 0,
    records: 0,
    rejected: 0,
    refused: {},
  };
  const open = new Set<Promise<void>>();
  const server: Server = createServer({ cert: pair.cert, key: pair.key }, (socket) => {
    stats.open++;
    const done = serveSession(socket, options, stats).finally(() => {
      open.delete(done);
      stats.open--;
    });
    open.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : options.port,
    stats,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(open);
    },
  };
}

async function serveSession(
  socket: TLSSocket,
  options: D4ListenerOptions,
  stats: D4ListenerStats,
): Promise<void> {
  const ip = socket.remoteAddress ?? "unknown";
  const session = new D4Session({
    async keyOf(uuid) {
      const key = await options.sensors.keyOf(uuid);
      if (!key) await options.sensors.notePending(uuid, ip);
      return key;
    },
    maxPayloadBytes: options.maxPayloadBytes,
  });
  stats.sessions++;
  let pending: string[] = [];
  let writing: Promise<void> = Promise.resolve();
  const figures = { bytes: 0, records: 0, rejects: 0, sourceIp: ip };

  // Writes what is pending, after the previous write (one at a time per session, in order).
  const flush = () => {
    const lines = pending;
    pending = [];
    if (lines.length === 0) return writing;
    writing = writing.then(async () => {
      const format = session.dataType === "passivedns" ? "passivedns" : "ja3-jl";
      const written = await ingestLines(options.store, lines, format, session.uuid as string, "d4-endpoint");
      figures.records += written.records;
      figures.rejects += written.rejects;
      stats.lines += lines.length;
    });
    return writing;
  };
  const timer = setInterval(() => void flush().catch(() => undefined), FLUSH_MS);

  try {
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      figures.bytes += chunk.length;
      stats.bytes += chunk.length;
      pending.push(...(await session.push(chunk)));
      if (
        session.dataType !== undefined &&
        session.dataType !== "passivedns" &&
        session.dataType !== "ja3-jl"
      ) {
        throw new D4SessionError(
          "bad_meta_header",
          `extended type ${session.dataType} is not one this server reads`,
        );
      }
      if (pending.length >= LINES_PER_BATCH) await flush();
    }
    pending.push(...session.end());
  } catch (error) {
    // Lines of the packets that passed their checks before the bad one are kept.
    if (error instanceof D4SessionError) pending.push(...error.lines);
    const reason: D4SessionFailure | "error" = error instanceof D4SessionError ? error.reason : "error";
    stats.refused[reason] = (stats.refused[reason] ?? 0) + 1;
    options.log(
      `d4: session of ${session.uuid ?? "an unknown sensor"} from ${ip} ended: ${(error as Error).message}`,
    );
    socket.destroy();
  } finally {
    clearInterval(timer);
  }
  try {
    await flush();
  } catch (error) {
    options.log(`d4: writing the lines of ${session.uuid} failed: ${(error as Error).message}`);
  }
  stats.records += figures.records;
  stats.rejected += figures.rejects;
  if (session.uuid !== undefined && (await options.sensors.keyOf(session.uuid))) {
    await options.sensors.noteSession(session.uuid, figures);
  }
}
