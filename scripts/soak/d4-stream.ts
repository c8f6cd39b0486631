/**
 * A D4 sensor that streams without end: type-8 packets (bench/d4-bench-client.ts builds and HMACs them)
 * of synthetic passivedns lines, at a set rate, over one TLS session at a time. Payloads are cut at
 * random byte offsets, lines split across packets as the C client does. Every `sessionSeconds` the
 * session ends as the C client ends one (an empty packet, then close) and a new one starts, so that
 * session set-up and teardown run all along too.
 */
import { once } from "node:events";
import { connect, type TLSSocket } from "node:tls";
import { type D4Sensor, d4Packet, write } from "../../bench/d4-bench-client.js";
import type { SyntheticDns } from "./data.js";
import { failureKind } from "./http-client.js";
import { Pacer, sleep } from "./pacer.js";
import type { Tally } from "./tally.js";

const TICK_MS = 100;
const MAX_PAYLOAD_BYTES = 64 * 1024;
const RECONNECT_MS = 1_000;

export interface D4StreamOptions {
  endpoint: { host: string; port: number };
  sensor: D4Sensor;
  linesPerSecond: number;
  sessionSeconds: number;
}

async function open(endpoint: { host: string; port: number }): Promise<TLSSocket> {
  // The endpoint's certificate is self-signed: not checked, as socat's verify=0 does not.
  const socket = connect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false });
  socket.on("error", () => {});
  // The endpoint answers nothing; whatever comes is read and dropped.
  socket.resume();
  await Promise.race([
    once(socket, "secureConnect"),
    once(socket, "error").then(([error]) => {
      throw error;
    }),
  ]);
  return socket;
}

/** Sends `text` as packets of random sizes up to 64 KiB, cut anywhere (in UTF-8 bytes). */
async function sendCut(
  socket: TLSSocket,
  sensor: D4Sensor,
  text: string,
  random: () => number,
): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  for (let at = 0; at < bytes.length; ) {
    const size = Math.min(bytes.length - at, 1 + Math.floor(random() * MAX_PAYLOAD_BYTES));
    await write(socket, d4Packet(sensor, 8, bytes.subarray(at, at + size)));
    at += size;
  }
}

/** Ends a session the way the C client does at the end of its input. */
async function endSession(socket: TLSSocket, sensor: D4Sensor): Promise<void> {
  const closed = once(socket, "close");
  await write(socket, d4Packet(sensor, 8, Buffer.alloc(0)));
  socket.end();
  await closed;
}

/**
 * Streams until `running()` turns false; counts lines sent (whole sessions' worth, once each session's
 * packets are handed to the socket) and errors (`d4:<code>`), and reconnects after an error.
 */
export async function streamD4(
  options: D4StreamOptions,
  lines: SyntheticDns,
  tally: Tally,
  running: () => boolean,
): Promise<void> {
  const pacer = new Pacer(options.linesPerSecond);
  const random = Math.random;
  while (running()) {
    let socket: TLSSocket | undefined;
    try {
      socket = await open(options.endpoint);
      const sessionEnds = Date.now() + options.sessionSeconds * 1000;
      while (running() && Date.now() < sessionEnds) {
        const due = pacer.due();
        if (due > 0) {
          const batch = lines.batch(due);
          await sendCut(socket, options.sensor, batch.chunks.join(""), random);
          pacer.sent(due);
          tally.d4Lines(due);
        }
        await sleep(TICK_MS);
      }
      await endSession(socket, options.sensor);
    } catch (error) {
      tally.error(`d4:${failureKind(error)}`, String(error));
      socket?.destroy();
      await sleep(RECONNECT_MS);
      pacer.reset();
    }
  }
}
