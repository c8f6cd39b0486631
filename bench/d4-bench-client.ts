/**
 * A small D4 sensor for the benchmark (reference: d4-and-kvrocks.md §1), written apart from the server's
 * code so that the bench also checks the wire format: packets of a 62-byte little-endian header
 * (version 1, type, the sensor's raw 16-byte uuid, Unix seconds, HMAC-SHA256, payload size) and a
 * payload, the HMAC computed over header and payload with its own 32 bytes zeroed, keyed with the
 * sensor's key. A file is streamed over TLS in payloads of a fixed size, cut wherever the size falls
 * (lines split across packets, as the C client does), then one empty packet as the C client sends at
 * the end of its input.
 */
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type TLSSocket } from "node:tls";

export const D4_HEADER_BYTES = 62;
const HMAC_OFFSET = 26;
const SIZE_OFFSET = 58;

export interface D4Sensor {
  uuid: string;
  /** The HMAC key: the bytes of the key file, one trailing newline stripped (as the C client reads it). */
  key: Buffer;
}

/** Reads a sensor from the configuration folder `pdns-pssl sensors add --out DIR` writes. */
export async function readSensorFolder(dir: string): Promise<D4Sensor> {
  const value = async (name: string) => (await readFile(join(dir, name), "utf8")).replace(/\n$/, "");
  return { uuid: await value("uuid"), key: Buffer.from(await value("key"), "utf8") };
}

/** One D4 packet: the header with its HMAC, then the payload. */
export function d4Packet(sensor: D4Sensor, type: number, payload: Buffer, timestamp?: number): Buffer {
  const packet = Buffer.alloc(D4_HEADER_BYTES + payload.length);
  packet.writeUInt8(1, 0);
  packet.writeUInt8(type, 1);
  const uuid = Buffer.from(sensor.uuid.replace(/-/g, ""), "hex");
  if (uuid.length !== 16) throw new Error(`not a uuid: ${sensor.uuid}`);
  uuid.copy(packet, 2);
  packet.writeBigUInt64LE(BigInt(timestamp ?? Math.floor(Date.now() / 1000)), 18);
  // Bytes 26..57 stay zero while the HMAC is computed.
  packet.writeUInt32LE(payload.length, SIZE_OFFSET);
  payload.copy(packet, D4_HEADER_BYTES);
  createHmac("sha256", sensor.key).update(packet).digest().copy(packet, HMAC_OFFSET);
  return packet;
}

export interface D4SendFigures {
  packets: number;
  /** Bytes on the wire before TLS: headers and payloads. */
  bytes: number;
  /** From the start of the connection until the last byte was handed to the socket and it closed. */
  seconds: number;
}

/** Writes, waiting for the socket to drain when its buffer is full; rejects if it closes meanwhile. */
export async function write(socket: TLSSocket, bytes: Buffer): Promise<void> {
  if (socket.write(bytes)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      socket.off("drain", onDrain);
      socket.off("close", onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => settle();
    const onClose = () => settle(new Error("the D4 endpoint closed the connection mid-stream"));
    socket.on("drain", onDrain);
    socket.on("close", onClose);
  });
}

/**
 * Streams `path` to the D4 endpoint at `host:port` as packets of `type` with payloads of `payloadBytes`
 * (the last one shorter), then an empty packet, then closes. Resolves once the connection is closed;
 * rejects when the endpoint ends it early (a refused sensor, a bad packet).
 */
export async function sendFile(
  endpoint: { host: string; port: number },
  sensor: D4Sensor,
  path: string,
  options: { type: number; payloadBytes: number },
): Promise<D4SendFigures> {
  const started = process.hrtime.bigint();
  // The endpoint's certificate is self-signed: the bench does not check it.
  const socket = connect({ host: endpoint.host, port: endpoint.port, rejectUnauthorized: false });
  socket.on("error", () => {});
  const closed = once(socket, "close");
  // Whatever the endpoint sends back (nothing, normally) is read and dropped.
  socket.resume();
  await Promise.race([
    once(socket, "secureConnect"),
    once(socket, "error").then(([error]) => {
      throw error;
    }),
  ]);
  const figures = { packets: 0, bytes: 0, seconds: 0 };
  const send = async (payload: Buffer) => {
    const packet = d4Packet(sensor, options.type, payload);
    await write(socket, packet);
    figures.packets++;
    figures.bytes += packet.length;
  };
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: options.payloadBytes })) {
      await send(chunk as Buffer);
    }
    await send(Buffer.alloc(0));
    socket.end();
    await closed;
  } finally {
    socket.destroy();
  }
  figures.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return figures;
}
