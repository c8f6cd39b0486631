import { expect, it } from "vitest";
import { ObservationBatch, type RecordLine, SensorNumberCache } from "../src/pdns/observation-batch.js";
import { cursorOf, sortKeyOfCursor } from "../src/pdns/record-codec.js";
import { firstRecords, queryRecords, successorKey } from "../src/pdns/record-query.js";
import type { Store } from "../src/store/types.js";
import { describeEachBackend } from "./helpers/backends.js";

const A = 1;
const CNAME = 5;
const TXT = 16;

async function ingest(store: Store, lines: RecordLine[]) {
  const batch = new ObservationBatch();
  for (const line of lines) {
    batch.countLine("s");
    batch.addRecord(line, "s");
  }
  await store.write(await batch.drain(new SensorNumberCache((ids) => store.sensorNumbers(ids))));
}

const tuple = (r: { rrname: string; rrtype: number; rdata: string }) => `${r.rrname}|${r.rrtype}|${r.rdata}`;

describeEachBackend("record queries", ({ store }) => {
  it("pages of 7 over a changing dataset return every pre-existing record exactly once", async () => {
    const initial = Array.from({ length: 100 }, (_, i) => ({
      rrname: "paged.example",
      rrtype: i % 3 === 0 ? TXT : A,
      rdata: i % 3 === 0 ? `t${i}` : `10.1.${i >> 8}.${i & 255}`,
      time: 1000,
      count: 1,
    }));
    await ingest(store(), initial);

    const seen: string[] = [];
    let after: Buffer | undefined;
    for (let page = 0; page < 100; page++) {
      const { records, more } = await firstRecords(store(), { owner: "paged.example", after }, 7);
      seen.push(...records.map(tuple));
      // Ingestion goes on between pages: new records, and repeats of existing ones.
      await ingest(store(), [
        { rrname: "paged.example", rrtype: A, rdata: `10.2.0.${page}`, time: 2000 + page, count: 1 },
        { ...(initial[page] as RecordLine), time: 3000, count: 5 },
      ]);
      if (!more) break;
      const last = records[records.length - 1];
      // The cursor round-trips through its decimal form, as clients send it back.
      after = sortKeyOfCursor(cursorOf(last?.sortKey as Buffer));
    }
    const counts = new Map<string, number>();
    for (const t of seen) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const record of initial) expect(counts.get(tuple(record))).toBe(1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("merges owned and pointing records into one ordered stream, each once", async () => {
    await ingest(store(), [
      { rrname: "self.example", rrtype: CNAME, rdata: "self.example", time: 1, count: 1 },
      { rrname: "self.example", rrtype: A, rdata: "192.0.2.1", time: 1, count: 1 },
      { rrname: "alias.example", rrtype: CNAME, rdata: "self.example", time: 1, count: 1 },
    ]);
    const records = [];
    for await (const chunk of queryRecords(
      store(),
      { owner: "self.example", pointingTo: { kind: "name", name: "self.example" } },
      1,
    )) {
      records.push(...chunk);
    }
    expect(records.map(tuple).sort()).toEqual([
      "alias.example|5|self.example",
      "self.example|1|192.0.2.1",
      "self.example|5|self.example",
    ]);
    const keys = records.map((r) => r.sortKey.toString("hex") + r.rrname);
    expect([...keys].sort()).toEqual(keys);
  });

  it("filters by rrtype and resumes after a cursor within the filter", async () => {
    await ingest(
      store(),
      Array.from({ length: 20 }, (_, i) => ({
        rrname: "mixed.example",
        rrtype: i % 2 ? A : TXT,
        rdata: i % 2 ? `192.0.2.${i}` : `txt ${i}`,
        time: 1,
        count: 1,
      })),
    );
    const firstPage = await firstRecords(store(), { owner: "mixed.example", rrtype: A }, 4);
    expect(firstPage.records.every((r) => r.rrtype === A)).toBe(true);
    expect(firstPage.more).toBe(true);
    const rest = await firstRecords(
      store(),
      { owner: "mixed.example", rrtype: A, after: firstPage.records[3]?.sortKey },
      100,
    );
    expect(rest.more).toBe(false);
    expect(firstPage.records.length + rest.records.length).toBe(10);
  });
});

it("steps sort keys with carry and stops after the last one", () => {
  expect(successorKey(Buffer.from("00ff", "hex"))?.toString("hex")).toBe("0100");
  expect(successorKey(Buffer.from("ffff", "hex"))).toBeUndefined();
});

it("prints cursors as positive decimal integers beyond 2^53 and parses them back", () => {
  const key = Buffer.from("0001ffffffffffffffff", "hex");
  const cursor = cursorOf(key);
  expect(cursor).toBe("36893488147419103231");
  expect(sortKeyOfCursor(cursor)?.equals(key)).toBe(true);
  for (const bad of ["0", "-1", "1.5", "abc", "0012", `${2n ** 80n}`, ""])
    expect(sortKeyOfCursor(bad)).toBeUndefined();
});
