import { describe, expect, it } from "vitest";
import {
  D4_HEADER_BYTES,
  D4Session,
  type D4SessionFailure,
  encodeD4Packet,
} from "../../src/d4/d4-session.js";
import {
  encode,
  goodPacket,
  KEY,
  keyOf,
  MAX_PAYLOAD,
  model,
  OTHER_UUID,
  type PacketModel,
  run,
  UUID,
} from "./d4-model.js";
import { fc, runs, timedAsync, timeout } from "./fuzz.js";

/** Payload bytes: text lines with multi-byte characters, blank lines, CRs, invalid UTF-8. */
const payload = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 30 }).map((s) => Buffer.from(s, "utf8")),
      fc.constantFrom("\n", "\n\n", "\r\n", "é", "日本", "😀").map((s) => Buffer.from(s, "utf8")),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b)),
    ),
    { maxLength: 8 },
  )
  .map((parts) => Buffer.concat(parts))
  .filter((b) => b.length <= MAX_PAYLOAD);

const metaPayload = fc.oneof(
  fc
    .constantFrom("ja3-jl", "x", "passivedns", "🙂")
    .map((type) => Buffer.from(JSON.stringify({ type, encoding: "utf-8" }))),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? "")),
  fc.constantFrom("", "not json", '{"type":""}', '{"type":1}', "null", "[]").map((s) => Buffer.from(s)),
);

const goodSession = fc.oneof(
  fc.array(payload, { minLength: 1, maxLength: 6 }).map((bodies) => bodies.map((b) => goodPacket(8, b))),
  fc
    .tuple(fc.constantFrom("ja3-jl", "x"), fc.array(payload, { maxLength: 6 }))
    .map(([type, bodies]) => [
      goodPacket(2, Buffer.from(JSON.stringify({ type, encoding: "utf-8", tags: ["tlp:white"] }))),
      ...bodies.map((b) => goodPacket(254, b)),
    ]),
);

/** Any packet: mostly good fields, sometimes a bad version, type, uuid, key or size. */
const anyPacket: fc.Arbitrary<PacketModel> = fc.record({
  version: fc.oneof(
    { weight: 9, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  ),
  type: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(8, 2, 254) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  ),
  uuid: fc.oneof(
    { weight: 9, arbitrary: fc.constant(UUID) },
    { weight: 1, arbitrary: fc.constant(OTHER_UUID) },
  ),
  goodKey: fc.oneof(
    { weight: 9, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  payload: fc.oneof(payload, metaPayload),
  claimedSize: fc.oneof(
    { weight: 19, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  ),
});

/** Packet sequences: any packets, or a good session with any packets slipped in. */
const anySequence = fc.oneof(
  fc.array(anyPacket, { minLength: 1, maxLength: 6 }),
  fc
    .tuple(goodSession, fc.array(fc.tuple(fc.nat(), anyPacket), { minLength: 1, maxLength: 3 }))
    .map(([good, extra]) => {
      const packets = [...good];
      for (const [at, packet] of extra) packets.splice(at % (packets.length + 1), 0, packet);
      return packets;
    }),
);

describe("D4 session: properties", () => {
  it(
    "gives every line of a good session, whatever the reads (1 byte to all at once)",
    async () => {
      await fc.assert(
        fc.asyncProperty(goodSession, fc.array(fc.nat(), { maxLength: 30 }), async (packets, cuts) => {
          const stream = Buffer.concat(packets.map(encode));
          const want = model(packets);
          const got = await timedAsync("d4 session", () => run(stream, cuts));
          expect(got.failure).toBeUndefined();
          expect(got.lines).toEqual(want.lines);
          expect(got.end).toEqual(want.tail === "" ? [] : [want.tail]);
          expect(got.session.dataType).toBe(
            packets[0]?.type === 8 ? "passivedns" : JSON.parse(packets[0]?.payload.toString() ?? "{}").type,
          );
          expect(got.session.uuid).toBe(UUID);
        }),
        runs(3),
      );
    },
    timeout(3),
  );

  it(
    "follows the rules on any packet sequence: the lines before the first breach, then that breach",
    async () => {
      await fc.assert(
        fc.asyncProperty(anySequence, fc.array(fc.nat(), { maxLength: 10 }), async (packets, cuts) => {
          const want = model(packets);
          fc.pre((want.failure as string) !== "lying_size");
          const got = await timedAsync("d4 session", () => run(Buffer.concat(packets.map(encode)), cuts));
          expect(got.failure).toBe(want.failure);
          expect(got.lines).toEqual(want.lines);
        }),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "never lets data of a packet with a flipped bit through, and names the breach by where the bit is",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          goodSession,
          fc.nat(),
          fc.nat(),
          fc.integer({ min: 0, max: 7 }),
          fc.array(fc.nat(), { maxLength: 10 }),
          async (packets, which, at, bit, cuts) => {
            const encoded = packets.map(encode);
            const k = which % encoded.length;
            const target = Buffer.from(encoded[k] as Buffer);
            const offset = at % target.length;
            target[offset] = (target[offset] as number) ^ (1 << bit);
            encoded[k] = target;
            const got = await timedAsync("d4 session", () => run(Buffer.concat(encoded), cuts));
            // Exactly the lines of the packets before the corrupted one (complete lines only).
            const before = model(packets.slice(0, k));
            expect(got.lines).toEqual(before.lines);
            let expected: Array<D4SessionFailure | undefined>;
            if (offset === 0) expected = ["bad_version"];
            else if (offset >= 2 && offset < 18) expected = [k === 0 ? "unknown_sensor" : "uuid_change"];
            else if (offset >= 58 && offset < D4_HEADER_BYTES) expected = ["oversize", "bad_hmac", undefined];
            else expected = ["bad_hmac"];
            expect(expected).toContain(got.failure);
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "refuses an oversize claim from the header alone, before its payload arrives",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: MAX_PAYLOAD + 1, max: 0xffffffff }),
          fc.array(fc.nat(), { maxLength: 5 }),
          async (size, cuts) => {
            const header = encode({ ...goodPacket(8, Buffer.alloc(0)), claimedSize: size });
            expect((await run(header, cuts)).failure).toBe("oversize");
          },
        ),
        runs(1),
      );
    },
    timeout(1),
  );

  it(
    "takes a packet arriving one byte per read in linear time (no copy of everything buffered per read)",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 300_000, max: 400_000 }),
          fc.integer({ min: 1, max: 3 }),
          async (size, step) => {
            const stream = encodeD4Packet({
              type: 8,
              uuid: UUID,
              key: KEY,
              payload: Buffer.alloc(size, 0x61),
            });
            const session = new D4Session({ keyOf, maxPayloadBytes: 1_000_000 });
            // Quadratic buffering took ~9 s for 400 KB in 1-byte reads.
            await timedAsync(
              "1-byte reads",
              async () => {
                for (let at = 0; at < stream.length; at += step)
                  await session.push(stream.subarray(at, at + step));
              },
              2_500,
            );
            expect(session.end()).toEqual(["a".repeat(size)]);
          },
        ),
        { ...runs(0.02), numRuns: Math.max(2, Math.round(runs(0.02).numRuns ?? 2)) },
      );
    },
    timeout(1),
  );

  it(
    "ends random bytes with a named breach or waits for more, never throws anything else",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 400 }),
          fc.array(fc.nat(), { maxLength: 5 }),
          async (bytes, cuts) => {
            const got = await timedAsync("d4 session", () => run(Buffer.from(bytes), cuts));
            expect(got.lines).toEqual([]);
          },
        ),
        runs(3),
      );
    },
    timeout(3),
  );
});
