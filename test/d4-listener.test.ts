/**
 * The D4 sensor endpoint over real TLS on loopback, with a small D4 client in the test: passivedns and
 * ja3-jl sessions sent at awkward byte boundaries, then read back from the store; an unknown sensor
 * recorded as pending and refused; a corrupted packet among good ones ending the session.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startD4Listener } from "../src/d4/d4-listener.js";
import { D4_HEADER_BYTES, encodeD4Packet } from "../src/d4/d4-session.js";
import { Sensors } from "../src/d4/sensors.js";
import { queryRecords } from "../src/pdns/record-query.js";
import type { Store } from "../src/store/types.js";
import { describeEachBackend } from "./helpers/backends.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pp-d4l-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Sends `stream` over TLS in pieces of the given sizes, then closes; resolves when the server closed too. */
function send(port: number, stream: Buffer, sizes: number[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, async () => {
      for (let at = 0, i = 0; at < stream.length && !socket.destroyed; i++) {
        const size = sizes[i % sizes.length] as number;
        socket.write(stream.subarray(at, at + size));
        at += size;
        if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      socket.end();
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNRESET" ? resolve() : reject(error),
    );
    socket.on("close", () => resolve());
    socket.resume();
  });
}

async function owned(store: Store, name: string): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of queryRecords(store, { owner: name }))
    out.push(...chunk.map((r) => `${r.rrtype} ${r.rdata}`));
  return out;
}

describeEachBackend("D4 sensor endpoint", ({ store }) => {
  async function listen() {
    const sensors = new Sensors(store(), randomBytes(32));
    const log: string[] = [];
    const listener = await startD4Listener({
      host: "127.0.0.1",
      port: 0,
      dataDir: dir,
      store: store(),
      sensors,
      log: (m) => log.push(m),
    });
    return { sensors, listener, log };
  }

  it("stores a passivedns session sent in packets cut mid-line and read at odd boundaries", async () => {
    const { sensors, listener } = await listen();
    try {
      const uuid = randomUUID();
      const key = Buffer.from(await sensors.approve(uuid, "8"));
      const text = await readFile(new URL("passivedns.txt", SAMPLES));
      const packets: Buffer[] = [];
      for (let at = 0; at < text.length; at += 333) {
        packets.push(encodeD4Packet({ type: 8, uuid, key, payload: text.subarray(at, at + 333) }));
      }
      packets.push(encodeD4Packet({ type: 8, uuid, key, payload: Buffer.alloc(0) }));
      await send(listener.port, Buffer.concat(packets), [61, 7, 1024, 3]);
      await listener.close();
      expect(await owned(store(), "www.example.lu")).toContain("1 192.0.2.11");
      expect(listener.stats).toMatchObject({ sessions: 1, lines: 216, refused: {} });
      expect(await sensors.get(uuid)).toMatchObject({ records: 206, rejects: 0, sourceIp: "127.0.0.1" });
      expect(await store().sensorLines()).toContainEqual({ sensorId: uuid, lines: 216 });
    } finally {
      await listener.close();
    }
  });

  it("stores a ja3-jl session (meta header, then type 254)", async () => {
    const { sensors, listener } = await listen();
    try {
      const uuid = randomUUID();
      const key = Buffer.from(await sensors.approve(uuid, "ja3-jl"));
      const lines = await readFile(new URL("ja3-jl.ndjson", SAMPLES));
      const stream = Buffer.concat([
        encodeD4Packet({ type: 2, uuid, key, payload: Buffer.from('{"type":"ja3-jl","encoding":"utf-8"}') }),
        encodeD4Packet({ type: 254, uuid, key, payload: lines.subarray(0, 5000) }),
        encodeD4Packet({ type: 254, uuid, key, payload: lines.subarray(5000) }),
      ]);
      await send(listener.port, stream, [4096]);
      await listener.close();
      const sessions = lines.toString().trim().split("\n").length;
      expect(listener.stats).toMatchObject({ sessions: 1, lines: sessions, records: sessions, refused: {} });
    } finally {
      await listener.close();
    }
  });

  it("records an unknown sensor as pending and stores nothing of its session", async () => {
    const { sensors, listener, log } = await listen();
    try {
      const uuid = randomUUID();
      const packet = encodeD4Packet({
        type: 8,
        uuid,
        key: Buffer.from("guess"),
        payload: Buffer.from("x||y\n"),
      });
      await send(listener.port, packet, [packet.length]);
      await listener.close();
      expect(await sensors.get(uuid)).toMatchObject({ status: "pending", sourceIp: "127.0.0.1" });
      expect(listener.stats).toMatchObject({ lines: 0, refused: { unknown_sensor: 1 } });
      expect(log.join("\n")).toMatch(/not approved/);
    } finally {
      await listener.close();
    }
  });

  it("ends a session at a corrupted packet, keeping only the lines of the good packets before it", async () => {
    const { sensors, listener } = await listen();
    try {
      const uuid = randomUUID();
      const key = Buffer.from(await sensors.approve(uuid, "8"));
      const line = (name: string) =>
        Buffer.from(`1700000000.1||10.0.0.1||10.0.0.2||IN||${name}.||A||192.0.2.5||60||1\n`);
      const bad = encodeD4Packet({ type: 8, uuid, key, payload: line("bad.example") });
      bad.writeUInt8((bad.readUInt8(D4_HEADER_BYTES + 5) ^ 0xff) & 0xff, D4_HEADER_BYTES + 5);
      const stream = Buffer.concat([
        encodeD4Packet({ type: 8, uuid, key, payload: line("good.example") }),
        bad,
        encodeD4Packet({ type: 8, uuid, key, payload: line("after.example") }),
      ]);
      await send(listener.port, stream, [stream.length]);
      await listener.close();
      expect(await owned(store(), "good.example")).toEqual(["1 192.0.2.5"]);
      expect(await owned(store(), "bad.example")).toEqual([]);
      expect(await owned(store(), "after.example")).toEqual([]);
      expect(listener.stats.refused).toEqual({ bad_hmac: 1 });
    } finally {
      await listener.close();
    }
  });
});
