import { expect, it } from "vitest";
import {
  packSetWriteBatch,
  packWriteBatch,
  unpackSetWriteBatch,
  unpackWriteBatch,
} from "../src/ingest/write-batch-transfer.js";
import type { SetWriteBatch, WriteBatch } from "../src/store/types.js";

it("packs a batch into one buffer and unpacks the same batch", () => {
  const batch: WriteBatch = {
    records: [
      { rrname: "a.example", member: Buffer.from([1, 2, 3]), index: undefined },
      {
        rrname: "zürich.example",
        member: Buffer.alloc(70_000, 7),
        index: { kind: "ip", bytes: Uint8Array.from([192, 0, 2, 1]), text: "192.0.2.1" },
      },
      { rrname: "c.example", member: Buffer.from("xyz"), index: { kind: "name", name: "target.example" } },
    ],
    rcodes: [{ rrname: "gone.example", member: Buffer.from([3, 0, 1, 9]) }],
    linesBySensor: new Map([
      ["sensor-1", 12],
      ["capteur-é", 2 ** 40],
    ]),
  };
  const packed = packWriteBatch(batch);
  expect(packed).toBeInstanceOf(ArrayBuffer);
  const back = unpackWriteBatch(packed);
  expect(back.records.map((r) => ({ ...r, member: Buffer.from(r.member) }))).toEqual(
    batch.records.map((r) =>
      r.index?.kind === "ip" ? { ...r, index: { ...r.index, bytes: Buffer.from(r.index.bytes) } } : r,
    ),
  );
  expect(back.rcodes).toEqual(batch.rcodes);
  expect(back.linesBySensor).toEqual(batch.linesBySensor);
});

it("round-trips an empty batch", () => {
  const back = unpackWriteBatch(packWriteBatch({ records: [], rcodes: [], linesBySensor: new Map() }));
  expect(back).toEqual({ records: [], rcodes: [], linesBySensor: new Map() });
});

it("packs a passive SSL batch and unpacks the same batch", () => {
  const batch: SetWriteBatch = {
    sightings: [
      { space: "ip-certs", group: "2001:db8::1", member: Buffer.from("0102", "hex") },
      { space: "fingerprints", group: "ja3:abc", member: Buffer.alloc(100_000, 1) },
    ],
    members: [{ space: "cert-names", group: "*.example.lu", member: Buffer.alloc(20, 9) }],
    blobs: [
      { space: "certificates", id: "ab".repeat(20), bytes: Buffer.from('{"kind":"der"}'), ifAbsent: false },
      { space: "sha256", id: "cd".repeat(32), bytes: Buffer.alloc(20, 3), ifAbsent: true },
    ],
  };
  const back = unpackSetWriteBatch(packSetWriteBatch(batch));
  expect(back).toEqual(batch);
});
