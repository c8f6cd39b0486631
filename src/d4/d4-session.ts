/**
 * The D4 sensor protocol, receiving side (reference: d4-and-kvrocks.md §1): a byte stream of packets,
 * each a 62-byte little-endian header (version, type, sensor uuid, timestamp, HMAC-SHA256, payload size)
 * and a payload. A session checks every packet's HMAC with the sensor's key, bounds payload sizes,
 * enforces the session rules (the first packet decides the type: 8 for passivedns, or 2 with a JSON meta
 * header naming an extended type such as `ja3-jl`, after which the type switches once to 254; the uuid
 * never changes), and reassembles the payloads' lines across packet boundaries. Any breach ends the
 * session with a D4SessionError naming the reason. The TLS listener that feeds it is not built yet.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { StringDecoder } from "node:string_decoder";

export const D4_HEADER_BYTES = 62;
const HMAC_OFFSET = 26;
const HMAC_BYTES = 32;
const SIZE_OFFSET = 58;
const TYPE_PASSIVEDNS = 8;
const TYPE_META = 2;
const TYPE_EXTENDED = 254;
const EMPTY = Buffer.alloc(0);

/** Why a session was ended. */
export type D4SessionFailure =
  | "bad_version"
  | "unknown_sensor"
  | "bad_hmac"
  | "oversize"
  | "bad_first_packet"
  | "bad_meta_header"
  | "type_switch"
  | "uuid_change";

export class D4SessionError extends Error {
  readonly reason: D4SessionFailure;
  /** Lines completed by the good packets of the same push, before the bad one: they passed their checks. */
  lines: string[] = [];

  constructor(reason: D4SessionFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** What a session carries once its first packet has been read: `passivedns`, or an extended type. */
export type D4DataType = string;

export interface D4SessionOptions {
  /** The sensor's HMAC key, or undefined when the sensor is unknown, pending or revoked. */
  keyOf(uuid: string): Promise<Buffer | undefined>;
  /** Largest payload accepted (the stock server's is 1,000,000 bytes). */
  maxPayloadBytes?: number;
}

/** A packet as read off the stream. */
interface Packet {
  version: number;
  type: number;
  uuid: string;
  size: number;
  bytes: Buffer;
}

function uuidOf(raw: Buffer): string {
  const hex = raw.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Encodes one packet (for sensors and tests): the header with its HMAC, then the payload. */
export function encodeD4Packet(packet: {
  type: number;
  uuid: string;
  key: Buffer;
  payload: Buffer;
  timestamp?: number;
  version?: number;
}): Buffer {
  const header = Buffer.alloc(D4_HEADER_BYTES);
  header.writeUInt8(packet.version ?? 1, 0);
  header.writeUInt8(packet.type, 1);
  Buffer.from(packet.uuid.replace(/-/g, ""), "hex").copy(header, 2);
  header.writeBigUInt64LE(BigInt(packet.timestamp ?? Math.floor(Date.now() / 1000)), 18);
  header.writeUInt32LE(packet.payload.length, SIZE_OFFSET);
  const whole = Buffer.concat([header, packet.payload]);
  createHmac("sha256", packet.key).update(whole).digest().copy(whole, HMAC_OFFSET);
  return whole;
}

/** One sensor connection's state: feed it bytes as they arrive, take complete lines out. */
export class D4Session {
  readonly #options: D4SessionOptions;
  readonly #maxPayload: number;
  // Bytes received and not yet framed: #buffer[#start, #end). Appending grows the buffer to twice what
  // it must hold, so a packet trickling in one byte per read costs linear time (not a copy of everything
  // buffered per read) and at most twice its size in memory.
  #buffer: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  #key: Buffer | undefined;
  #uuid: string | undefined;
  #type: number | undefined;
  #dataType: D4DataType | undefined;
  #switched = false;
  #tail = "";
  // A character split between two packets is held until its last byte arrives.
  readonly #decoder = new StringDecoder("utf8");

  constructor(options: D4SessionOptions) {
    this.#options = options;
    this.#maxPayload = options.maxPayloadBytes ?? 1_000_000;
  }

  /** The sensor this session speaks for, once its first packet is read. */
  get uuid(): string | undefined {
    return this.#uuid;
  }

  /** `passivedns`, or the extended type named by the meta header (`ja3-jl`), once known. */
  get dataType(): D4DataType | undefined {
    return this.#dataType;
  }

  /**
   * Takes the next bytes of the stream and returns the lines completed by them (without their `\n`).
   * Throws D4SessionError when the session must end: nothing of the failing packet is returned, and the
   * lines of the good packets before it come with the error.
   */
  async push(chunk: Buffer): Promise<string[]> {
    this.#append(chunk);
    const lines: string[] = [];
    try {
      for (;;) {
        const packet = this.#nextPacket();
        if (!packet) break;
        const payload = await this.#check(packet);
        if (payload.length > 0) lines.push(...this.#linesOf(payload));
      }
    } catch (error) {
      if (error instanceof D4SessionError) error.lines = lines;
      throw error;
    }
    return lines;
  }

  /** The last line when the stream ended without a newline, if any. */
  end(): string[] {
    const tail = this.#tail + this.#decoder.end();
    this.#tail = "";
    return tail === "" ? [] : [tail];
  }

  #append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.#start === this.#end) {
      // Nothing pending: frame the chunk itself. It is never written to (any append outgrows it).
      this.#buffer = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      return;
    }
    if (this.#end + chunk.length > this.#buffer.length) {
      const kept = this.#end - this.#start;
      const grown = Buffer.allocUnsafe(2 * (kept + chunk.length));
      this.#buffer.copy(grown, 0, this.#start, this.#end);
      this.#buffer = grown;
      this.#start = 0;
      this.#end = kept;
    }
    chunk.copy(this.#buffer, this.#end);
    this.#end += chunk.length;
  }

  #nextPacket(): Packet | undefined {
    const buffered = this.#end - this.#start;
    if (buffered < D4_HEADER_BYTES) return undefined;
    const size = this.#buffer.readUInt32LE(this.#start + SIZE_OFFSET);
    // Checked before waiting for the payload: an oversize claim must not make us buffer it.
    if (size > this.#maxPayload) {
      throw new D4SessionError(
        "oversize",
        `payload of ${size} bytes is over the limit of ${this.#maxPayload}`,
      );
    }
    const total = D4_HEADER_BYTES + size;
    if (buffered < total) return undefined;
    const bytes = this.#buffer.subarray(this.#start, this.#start + total);
    this.#start += total;
    if (this.#start === this.#end) {
      // Drained: let the buffer go (a new one is made when bytes are pending again).
      this.#buffer = EMPTY;
      this.#start = 0;
      this.#end = 0;
    }
    return {
      version: bytes.readUInt8(0),
      type: bytes.readUInt8(1),
      uuid: uuidOf(bytes.subarray(2, 18)),
      size,
      bytes,
    };
  }

  async #check(packet: Packet): Promise<Buffer> {
    if (packet.version !== 1) throw new D4SessionError("bad_version", `protocol version ${packet.version}`);
    if (this.#uuid === undefined) {
      this.#key = await this.#options.keyOf(packet.uuid);
      if (!this.#key) throw new D4SessionError("unknown_sensor", `sensor ${packet.uuid} is not approved`);
      this.#uuid = packet.uuid;
    } else if (packet.uuid !== this.#uuid) {
      throw new D4SessionError("uuid_change", `the uuid changed from ${this.#uuid} to ${packet.uuid}`);
    }
    // The HMAC covers header and payload with the HMAC bytes zeroed (by offset).
    const copy = Buffer.from(packet.bytes);
    const sent = Buffer.from(copy.subarray(HMAC_OFFSET, HMAC_OFFSET + HMAC_BYTES));
    copy.fill(0, HMAC_OFFSET, HMAC_OFFSET + HMAC_BYTES);
    const expected = createHmac("sha256", this.#key as Buffer)
      .update(copy)
      .digest();
    if (!timingSafeEqual(sent, expected)) throw new D4SessionError("bad_hmac", "the HMAC does not match");
    const payload = packet.bytes.subarray(D4_HEADER_BYTES);
    this.#followRules(packet.type, payload);
    return packet.type === TYPE_META ? Buffer.alloc(0) : payload;
  }

  #followRules(type: number, payload: Buffer): void {
    if (this.#type === undefined) {
      if (type === TYPE_PASSIVEDNS) this.#dataType = "passivedns";
      else if (type === TYPE_META) this.#dataType = metaTypeOf(payload);
      else throw new D4SessionError("bad_first_packet", `a session starts with type 8 or 2, not ${type}`);
      this.#type = type;
      return;
    }
    if (type === this.#type) return;
    if (this.#type === TYPE_META && type === TYPE_EXTENDED && !this.#switched) {
      this.#switched = true;
      this.#type = type;
      return;
    }
    throw new D4SessionError("type_switch", `the type changed from ${this.#type} to ${type}`);
  }

  #linesOf(payload: Buffer): string[] {
    const text = this.#tail + this.#decoder.write(payload);
    const parts = text.split("\n");
    this.#tail = parts.pop() ?? "";
    return parts.filter((line) => line !== "");
  }
}

function metaTypeOf(payload: Buffer): string {
  let meta: unknown;
  try {
    meta = JSON.parse(payload.toString("utf8"));
  } catch {
    throw new D4SessionError("bad_meta_header", "the meta header is not JSON");
  }
  const type = (meta as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || type === "") {
    throw new D4SessionError("bad_meta_header", 'the meta header has no "type"');
  }
  return type;
}
