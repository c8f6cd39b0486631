/** The D4 protocol's rules as a model, and the helpers the D4 properties and the corpus replay share. */
import { StringDecoder } from "node:string_decoder";
import { expect } from "vitest";
import { D4Session, D4SessionError, type D4SessionFailure, encodeD4Packet } from "../../src/d4/d4-session.js";
import { splitAt } from "./fuzz.js";

export const UUID = "3a5e4b0c-9d2f-4a11-8b6e-0f1e2d3c4b5a";
export const OTHER_UUID = "00000000-0000-4000-8000-000000000001";
export const KEY = Buffer.from("private key to change");
export const MAX_PAYLOAD = 2_048;
export const keyOf = async (uuid: string) => (uuid === UUID ? KEY : undefined);

const FAILURES = new Set<D4SessionFailure>([
  "bad_version",
  "unknown_sensor",
  "bad_hmac",
  "oversize",
  "bad_first_packet",
  "bad_meta_header",
  "type_switch",
  "uuid_change",
]);

export interface PacketModel {
  version: number;
  type: number;
  uuid: string;
  goodKey: boolean;
  payload: Buffer;
  /** A size field that lies (bigger than the payload, maybe over the limit), or undefined. */
  claimedSize?: number | undefined;
}

/** A packet that follows the rules in the given position of a type-8 or meta session. */
export function goodPacket(type: number, body: Buffer): PacketModel {
  return { version: 1, type, uuid: UUID, goodKey: true, payload: body };
}

export function encode(p: PacketModel): Buffer {
  const bytes = encodeD4Packet({
    type: p.type,
    uuid: p.uuid,
    key: p.goodKey ? KEY : Buffer.from("another key"),
    payload: p.payload,
    version: p.version,
    timestamp: 1_700_000_000,
  });
  if (p.claimedSize !== undefined) bytes.writeUInt32LE(p.claimedSize, 58);
  return bytes;
}

/** What the session must do with these packets: the lines, then how it ends (undefined: still open). */
export function model(packets: readonly PacketModel[]): {
  lines: string[];
  failure: D4SessionFailure | undefined;
  tail: string;
} {
  const decoder = new StringDecoder("utf8");
  let text = "";
  const lines: string[] = [];
  let uuid: string | undefined;
  let type: number | undefined;
  let switched = false;
  const take = (body: Buffer) => {
    text += decoder.write(body);
    const parts = text.split("\n");
    text = parts.pop() ?? "";
    lines.push(...parts.filter((line) => line !== ""));
  };
  const end = (failure: D4SessionFailure | undefined) => ({ lines, failure, tail: text + decoder.end() });
  for (const p of packets) {
    const size = p.claimedSize ?? p.payload.length;
    if (size > MAX_PAYLOAD) return end("oversize");
    // A size that lies frames the stream differently: the model stops at the first such packet.
    if (p.claimedSize !== undefined && p.claimedSize !== p.payload.length)
      return end("lying_size" as D4SessionFailure);
    if (p.version !== 1) return end("bad_version");
    if (uuid === undefined) {
      if (p.uuid !== UUID) return end("unknown_sensor");
      uuid = p.uuid;
    } else if (p.uuid !== uuid) {
      return end("uuid_change");
    }
    if (!p.goodKey) return end("bad_hmac");
    if (type === undefined) {
      if (p.type === 8) type = 8;
      else if (p.type === 2) {
        let meta: unknown;
        try {
          meta = JSON.parse(p.payload.toString("utf8"));
        } catch {
          return end("bad_meta_header");
        }
        const named = (meta as { type?: unknown } | null)?.type;
        if (typeof named !== "string" || named === "") return end("bad_meta_header");
        type = 2;
      } else return end("bad_first_packet");
      if (type === 2) continue;
    } else if (p.type !== type) {
      if (type === 2 && p.type === 254 && !switched) {
        switched = true;
        type = 254;
      } else return end("type_switch");
    }
    if (p.type === 2) continue;
    take(p.payload);
  }
  return end(undefined);
}

/** Feeds the stream in the given reads; the lines it gave (with those of a failure) and the failure. */
export async function run(
  stream: Buffer,
  cuts: readonly number[],
  maxPayloadBytes = MAX_PAYLOAD,
): Promise<{ lines: string[]; failure: D4SessionFailure | undefined; end: string[]; session: D4Session }> {
  const session = new D4Session({ keyOf, maxPayloadBytes });
  const lines: string[] = [];
  for (const chunk of splitAt(stream, cuts)) {
    try {
      lines.push(...(await session.push(chunk)));
    } catch (error) {
      if (!(error instanceof D4SessionError)) throw error;
      expect(FAILURES.has(error.reason)).toBe(true);
      expect(error.message.length).toBeGreaterThan(0);
      lines.push(...error.lines);
      return { lines, failure: error.reason, end: [], session };
    }
  }
  return { lines, failure: undefined, end: session.end(), session };
}
