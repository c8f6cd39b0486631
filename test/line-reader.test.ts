import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Line, readLines } from "../src/ingest/line-reader.js";

async function* chunksOf(...chunks: Array<string | Buffer>): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

/** All lines, as strings or `{ tooLong }`, and how many batches carried them. */
async function collect(input: AsyncIterable<Buffer>, maxLineBytes = 65536) {
  const lines: Array<string | { tooLong: number }> = [];
  let batches = 0;
  for await (const batch of readLines(input, { maxLineBytes })) {
    batches++;
    expect(batch.length).toBeGreaterThan(0);
    for (const line of batch as Line[]) lines.push(Buffer.isBuffer(line) ? line.toString("utf8") : line);
  }
  return { lines, batches };
}

describe("readLines", () => {
  it("splits on LF and batches the lines of each chunk", async () => {
    const { lines, batches } = await collect(chunksOf("a\nbb\n", "ccc\nd", "d\n"));
    expect(lines).toEqual(["a", "bb", "ccc", "dd"]);
    expect(batches).toBe(3);
  });

  it("gives the same lines at every chunk boundary", async () => {
    const text = readFileSync(new URL("../../shared/samples/passivedns.txt", import.meta.url));
    const expected = text.toString("utf8").split("\n").slice(0, -1);
    const head = text.subarray(0, 600);
    const headLines = head.toString("utf8").split("\n");
    for (let cut = 0; cut <= head.length; cut++) {
      const { lines } = await collect(chunksOf(head.subarray(0, cut), head.subarray(cut)));
      expect(lines, `cut at ${cut}`).toEqual(headLines.at(-1) === "" ? headLines.slice(0, -1) : headLines);
    }
    // And the whole file one byte at a time.
    const bytes = Array.from({ length: text.length }, (_, k) => text.subarray(k, k + 1));
    expect((await collect(chunksOf(...bytes))).lines).toEqual(expected);
  });

  it("strips one CR of CRLF line ends", async () => {
    const { lines } = await collect(chunksOf("a\r\nb\r", "\nc\r\r\nd\r"));
    expect(lines).toEqual(["a", "b", "c\r", "d"]);
  });

  it("yields the final line without a newline, and empty lines as empty", async () => {
    expect((await collect(chunksOf("a\n\nlast"))).lines).toEqual(["a", "", "last"]);
    expect((await collect(chunksOf("a\n"))).lines).toEqual(["a"]);
    expect((await collect(chunksOf())).lines).toEqual([]);
    expect((await collect(chunksOf("", "x", ""))).lines).toEqual(["x"]);
  });

  it("skips a 1 MB line without buffering it and keeps the lines after it", async () => {
    const big = Buffer.alloc(1024 * 1024, "x");
    const chunks = [Buffer.from("before\nstart-"), ...chunked(big, 65536), Buffer.from("\nafter\nlast")];
    const { lines } = await collect(chunksOf(...chunks), 65536);
    expect(lines).toEqual(["before", { tooLong: 6 + big.length }, "after", "last"]);
  });

  it("reports an overlong line inside one chunk, or at the end of input", async () => {
    expect((await collect(chunksOf("12345\n123456\n1234\n"), 5)).lines).toEqual([
      "12345",
      { tooLong: 6 },
      "1234",
    ]);
    expect((await collect(chunksOf("ok\n123", "456"), 5)).lines).toEqual(["ok", { tooLong: 6 }]);
    expect((await collect(chunksOf("123", "45\n"), 5)).lines).toEqual(["12345"]);
  });

  it("does not keep references to earlier chunks in the carried tail", async () => {
    const first = Buffer.from("a\npartial");
    const reader = readLines(chunksOf(first, " line\n"), { maxLineBytes: 100 });
    const batches: Line[][] = [];
    for await (const batch of reader) {
      batches.push(batch);
      first.fill(0);
    }
    const last = batches[1]?.[0];
    expect(Buffer.isBuffer(last) ? last.toString() : last).toBe("partial line");
  });
});

function chunked(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let k = 0; k < buffer.length; k += size) out.push(buffer.subarray(k, k + size));
  return out;
}
