/** The D4 protocol's receiving side: packets split at awkward boundaries, HMACs, limits, session rules. */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { D4_HEADER_BYTES, D4Session, D4SessionError, encodeD4Packet } from "../src/d4/d4-session.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const UUID = "3a5e4b0c-9d2f-4a11-8b6e-0f1e2d3c4b5a";
const KEY = Buffer.from("private key to change\n".trim());
const keyOf = async (uuid: string) => (uuid === UUID ? KEY : undefined);

const packet = (type: number, payload: string | Buffer, overrides: { uuid?: string; key?: Buffer } = {}) =>
  encodeD4Packet({
    type,
    uuid: overrides.uuid ?? UUID,
    key: overrides.key ?? KEY,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload, "utf8"),
  });

/** Feeds the stream in pieces of the given sizes (cycling), collecting every line. */
async function feed(session: D4Session, stream: Buffer, sizes: number[]): Promise<string[]> {
  const lines: string[] = [];
  for (let at = 0, i = 0; at < stream.length; i++) {
    const size = sizes[i % sizes.length] as number;
    lines.push(...(await session.push(stream.subarray(at, at + size))));
    at += size;
  }
  return [...lines, ...session.end()];
}

async function failure(session: D4Session, stream: Buffer): Promise<string> {
  try {
    await feed(session, stream, [stream.length]);
  } catch (error) {
    if (error instanceof D4SessionError) return error.reason;
    throw error;
  }
  return "no failure";
}

describe("D4 session", () => {
  it("reassembles the passivedns sample's lines split across packets and reads at awkward boundaries", async () => {
    const text = await readFile(new URL("passivedns.txt", SAMPLES), "utf8");
    const expected = text.trim().split("\n");
    // Packets cut mid-line (every 100 bytes), an empty packet among them, as the C client sends at the end.
    const body = Buffer.from(text, "utf8");
    const packets: Buffer[] = [];
    for (let at = 0; at < body.length; at += 100) packets.push(packet(8, body.subarray(at, at + 100)));
    packets.push(packet(8, ""));
    const stream = Buffer.concat(packets);
    for (const sizes of [[1], [61, 62, 63], [7, 1000, 3], [stream.length]]) {
      const session = new D4Session({ keyOf });
      expect(await feed(session, stream, sizes), String(sizes)).toEqual(expected);
      expect(session.dataType).toBe("passivedns");
      expect(session.uuid).toBe(UUID);
    }
  });

  it("reads a ja3-jl session: meta header first, then one switch to type 254, multi-byte text split across packets", async () => {
    const line = JSON.stringify({ server_name: "zürich.example", ja3: "e7d705a3286e19ea42f587b344ee6865" });
    const bytes = Buffer.from(`${line}\n`, "utf8");
    const split = bytes.indexOf("ü") + 1; // inside the two bytes of ü
    const stream = Buffer.concat([
      packet(2, JSON.stringify({ type: "ja3-jl", encoding: "utf-8", tags: ["tlp:white"] })),
      packet(254, bytes.subarray(0, split)),
      packet(254, bytes.subarray(split)),
    ]);
    const session = new D4Session({ keyOf });
    expect(await feed(session, stream, [5, 70])).toEqual([line]);
    expect(session.dataType).toBe("ja3-jl");
  });

  it("ends the session, returning nothing of the bad packet, on each breach of the rules", async () => {
    const good = packet(8, "a line\n");
    const session = () => new D4Session({ keyOf, maxPayloadBytes: 1000 });
    const tampered = Buffer.from(good);
    tampered[D4_HEADER_BYTES] = "A".charCodeAt(0);
    expect(await failure(session(), tampered)).toBe("bad_hmac");
    expect(await failure(session(), packet(8, "x\n", { key: Buffer.from("another key") }))).toBe("bad_hmac");
    expect(await failure(session(), packet(8, "x\n", { uuid: "00000000-0000-4000-8000-000000000000" }))).toBe(
      "unknown_sensor",
    );
    expect(await failure(session(), packet(8, Buffer.alloc(1001, 0x61)))).toBe("oversize");
    // An oversize claim is refused from the header alone, before its payload arrives.
    const claim = packet(8, Buffer.alloc(1001, 0x61)).subarray(0, D4_HEADER_BYTES);
    expect(await failure(session(), claim)).toBe("oversize");
    expect(await failure(session(), packet(3, "log line\n"))).toBe("bad_first_packet");
    expect(await failure(session(), packet(2, "not json"))).toBe("bad_meta_header");
    expect(await failure(session(), packet(2, '{"encoding":"utf-8"}'))).toBe("bad_meta_header");
    expect(await failure(session(), Buffer.concat([good, packet(254, "x\n")]))).toBe("type_switch");
    const twice = Buffer.concat([
      packet(2, '{"type":"ja3-jl"}'),
      packet(254, "a\n"),
      packet(2, '{"type":"x"}'),
    ]);
    expect(await failure(session(), twice)).toBe("type_switch");
    const otherUuid = packet(8, "b\n", { uuid: "00000000-0000-4000-8000-000000000001" });
    expect(await failure(session(), Buffer.concat([good, otherUuid]))).toBe("uuid_change");
    const wrongVersion = Buffer.from(good);
    wrongVersion[0] = 2;
    expect(await failure(session(), wrongVersion)).toBe("bad_version");
  });

  it("returns the lines of good packets before a bad one, and none of the bad one", async () => {
    const session = new D4Session({ keyOf });
    expect(await session.push(packet(8, "first\nsecond\n"))).toEqual(["first", "second"]);
    const bad = Buffer.from(packet(8, "fourth\n"));
    bad[D4_HEADER_BYTES] = 0x54;
    // The good packet and the bad one in one read: the good one's lines come with the error.
    await expect(session.push(Buffer.concat([packet(8, "third\n"), bad]))).rejects.toMatchObject({
      reason: "bad_hmac",
      lines: ["third"],
    });
  });
});
