/**
 * SAF framing and summaries over synthetic record streams: exact lines, limit / offset / cursor,
 * failures after the start, early close of the source; the primed stream; the Accept check.
 */
import { describe, expect, it } from "vitest";
import { primed } from "../src/dnsdb/primed.js";
import { type LookupFraming, rfc3339, safLookupLines, safObjLine } from "../src/dnsdb/saf.js";
import { type SummaryFraming, safSummaryLines } from "../src/dnsdb/summary.js";
import { acceptsSaf } from "../src/http/routes/dnsdb.js";
import type { DecodedRecord } from "../src/pdns/record-query.js";

function record(i: number, overrides: Partial<DecodedRecord> = {}): DecodedRecord {
  return {
    sortKey: Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, i]),
    rrname: "www.example.lu",
    rrtype: 1,
    rdata: `192.0.2.${i}`,
    timeFirst: 1_700_000_000 + i,
    timeLast: 1_700_000_100 + i,
    count: i + 1,
    ...overrides,
  };
}

/** A chunked source that records how far it was read and whether it was closed. */
function source(chunks: DecodedRecord[][], failAfter?: number) {
  const state = { pulled: 0, closed: false };
  async function* generate() {
    try {
      for (const chunk of chunks) {
        if (failAfter !== undefined && state.pulled === failAfter) throw new Error("store went away");
        state.pulled++;
        yield chunk;
      }
    } finally {
      state.closed = true;
    }
  }
  return { stream: generate(), state };
}

async function text(lines: AsyncIterable<string>): Promise<string> {
  let out = "";
  for await (const chunk of lines) out += chunk;
  return out;
}

const framing = (overrides: Partial<LookupFraming> = {}): LookupFraming => ({
  limit: 10,
  offset: 0,
  humantime: false,
  cursorOf: (r) => `c${r.rdata}`,
  failure: (error) => `failed: ${(error as Error).message}`,
  ...overrides,
});

const records = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => record(from + i));

describe("safObjLine", () => {
  it("writes DNSDB v2 objects: rdata as an array, integer times and count", () => {
    expect(safObjLine(record(11), false)).toBe(
      '{"obj":{"rrname":"www.example.lu","rrtype":"A","rdata":["192.0.2.11"],' +
        '"time_first":1700000011,"time_last":1700000111,"count":12}}\n',
    );
  });

  it("writes rrtypes without mnemonic as TYPEn strings, and humantime as RFC 3339", () => {
    const line = safObjLine(record(1, { rrtype: 65280, rdata: 'quote " and \\ back' }), true);
    expect(JSON.parse(line)).toEqual({
      obj: {
        rrname: "www.example.lu",
        rrtype: "TYPE65280",
        rdata: ['quote " and \\ back'],
        time_first: "2023-11-14T22:13:21Z",
        time_last: "2023-11-14T22:15:01Z",
        count: 2,
      },
    });
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00Z");
  });
});

describe("safLookupLines", () => {
  it("frames every record with begin and succeeded", async () => {
    const { stream } = source([records(0, 3), records(3, 5)]);
    const lines = (await text(safLookupLines(stream, framing()))).split("\n");
    expect(lines[0]).toBe('{"cond":"begin"}');
    expect(lines.slice(1, 6).map((l) => JSON.parse(l).obj.rdata[0])).toEqual(
      records(0, 5).map((r) => r.rdata),
    );
    expect(lines.slice(6)).toEqual(['{"cond":"succeeded"}', ""]);
  });

  it("answers begin + succeeded for nothing", async () => {
    expect(await text(safLookupLines(source([]).stream, framing()))).toBe(
      '{"cond":"begin"}\n{"cond":"succeeded"}\n',
    );
  });

  it("ends with limited and the last record's cursor only when more records follow", async () => {
    const cut = source([records(0, 3), records(3, 6), records(6, 9)]);
    const body = await text(safLookupLines(cut.stream, framing({ limit: 4 })));
    const lines = body.trimEnd().split("\n");
    expect(lines).toHaveLength(6);
    expect(JSON.parse(lines[5] as string)).toEqual({
      cond: "limited",
      msg: "Result limit reached",
      cursor: "c192.0.2.3",
    });
    // It stopped reading once it knew, and closed the source.
    expect(cut.state).toEqual({ pulled: 2, closed: true });
    const exact = await text(safLookupLines(source([records(0, 4)]).stream, framing({ limit: 4 })));
    expect(exact.endsWith('{"cond":"succeeded"}\n')).toBe(true);
  });

  it("skips offset records first", async () => {
    const body = await text(
      safLookupLines(source([records(0, 3), records(3, 6)]).stream, framing({ offset: 4, limit: 1 })),
    );
    const lines = body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.obj?.rdata[0] ?? l.cond)).toEqual(["begin", "192.0.2.4", "limited"]);
  });

  it("ends with failed when the source fails after the start", async () => {
    const failing = source([records(0, 2), records(2, 4)], 1);
    const body = await text(safLookupLines(failing.stream, framing()));
    const lines = body.trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).cond ?? "obj")).toEqual(["begin", "obj", "obj", "failed"]);
    expect(JSON.parse(lines[3] as string).msg).toBe("failed: store went away");
  });

  it("writes big answers in several chunks of bounded size", async () => {
    const chunks = Array.from({ length: 50 }, (_, k) => records(k * 10, k * 10 + 10));
    const out: string[] = [];
    for await (const chunk of safLookupLines(source(chunks).stream, framing({ limit: 1000 })))
      out.push(chunk);
    expect(out.length).toBeGreaterThan(2);
    for (const chunk of out) {
      expect(chunk.endsWith("\n")).toBe(true);
      expect(chunk.length).toBeLessThan(40_000);
    }
    expect(out.join("").split("\n").length).toBe(503);
  });
});

describe("safSummaryLines", () => {
  const summaryFraming = (overrides: Partial<SummaryFraming> = {}): SummaryFraming => ({
    limit: 100,
    maxCount: undefined,
    humantime: false,
    cursorOf: (r) => `c${r.rdata}`,
    failure: (error) => (error as Error).message,
    ...overrides,
  });

  it("sums counts, counts records, and spans the times", async () => {
    const body = await text(safSummaryLines(source([records(0, 3), records(3, 5)]).stream, summaryFraming()));
    expect(body).toBe(
      '{"cond":"begin"}\n' +
        '{"obj":{"count":15,"num_results":5,"time_first":1700000000,"time_last":1700000104}}\n' +
        '{"cond":"succeeded"}\n',
    );
  });

  it("stops once the count reaches max_count (the last record counts whole)", async () => {
    const lines = (
      await text(safSummaryLines(source([records(0, 5)]).stream, summaryFraming({ maxCount: 5 })))
    )
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    // counts 1 + 2 + 3 = 6 ≥ 5
    expect(lines[1]).toEqual({
      obj: { count: 6, num_results: 3, time_first: 1_700_000_000, time_last: 1_700_000_102 },
    });
    expect(lines[2]).toEqual({ cond: "succeeded" });
  });

  it("summarizes at most limit records, then says limited with a cursor", async () => {
    const lines = (await text(safSummaryLines(source([records(0, 5)]).stream, summaryFraming({ limit: 2 }))))
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[1].obj).toMatchObject({ count: 3, num_results: 2 });
    expect(lines[2]).toEqual({ cond: "limited", msg: "Result limit reached", cursor: "c192.0.2.1" });
  });

  it("answers begin + succeeded with no obj for nothing, humantime strings otherwise", async () => {
    expect(await text(safSummaryLines(source([]).stream, summaryFraming()))).toBe(
      '{"cond":"begin"}\n{"cond":"succeeded"}\n',
    );
    const human = await text(
      safSummaryLines(source([records(0, 1)]).stream, summaryFraming({ humantime: true })),
    );
    expect(JSON.parse(human.split("\n")[1] as string).obj).toMatchObject({
      time_first: "2023-11-14T22:13:20Z",
      time_last: "2023-11-14T22:15:00Z",
    });
  });

  it("ends with failed when the source fails", async () => {
    const body = await text(
      safSummaryLines(source([records(0, 2), records(2, 4)], 1).stream, summaryFraming()),
    );
    expect(body).toBe('{"cond":"begin"}\n{"cond":"failed","msg":"store went away"}\n');
  });
});

describe("primed", () => {
  it("throws what the source throws at once", async () => {
    async function* bad(): AsyncGenerator<number> {
      yield* [];
      throw new Error("bad cursor");
    }
    await expect(primed(bad())).rejects.toThrow("bad cursor");
  });

  it("replays the first item, then the rest, and closes the source when closed", async () => {
    const { stream, state } = source([records(0, 1), records(1, 2), records(2, 3)]);
    const started = await primed(stream);
    expect(state.pulled).toBe(1);
    const seen: string[] = [];
    for await (const chunk of started) {
      seen.push(chunk[0]?.rdata as string);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(["192.0.2.0", "192.0.2.1"]);
    expect(state.closed).toBe(true);
  });
});

describe("acceptsSaf", () => {
  it("takes NDJSON, JSON, the wildcards and no header; refuses the rest", () => {
    for (const ok of [
      undefined,
      "",
      "application/x-ndjson",
      "application/json",
      "*/*",
      "application/*",
      "text/html, application/json;q=0.5",
      "Application/X-NDJSON; charset=utf-8",
    ]) {
      expect(acceptsSaf(ok), String(ok)).toBe(true);
    }
    for (const bad of ["text/html", "text/plain", "application/xml", "application/json;q=0"]) {
      expect(acceptsSaf(bad), bad).toBe(false);
    }
  });
});
