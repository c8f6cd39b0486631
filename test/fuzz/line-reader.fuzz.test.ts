/**
 * Properties of the line reader: the lines of a byte stream do not depend on where the chunks break,
 * overlong lines are measured and never kept, UTF-8 is checked per line, and gzip is detected from the
 * first bytes however few arrive at once.
 */
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decompressIfGzip } from "../../src/ingest/input.js";
import { type Line, readLines, textLines } from "../../src/ingest/line-reader.js";
import { chunked, fc, runs, splitAt, timedAsync, timeout } from "./fuzz.js";

/** The reference: split on `\n`, a last line without `\n` counts, one trailing `\r` dropped per line. */
function referenceLines(bytes: Buffer, max: number): Array<string | { tooLong: number }> {
  const out: Array<string | { tooLong: number }> = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 10) continue;
    if (i === bytes.length && start === bytes.length) break;
    const line = bytes.subarray(start, i);
    if (line.length > max) out.push({ tooLong: line.length });
    else out.push((line.at(-1) === 13 ? line.subarray(0, -1) : line).toString("hex"));
    start = i + 1;
  }
  return out;
}

const asComparable = (line: Line) => (Buffer.isBuffer(line) ? line.toString("hex") : line);

async function collect(chunks: readonly Buffer[], max: number): Promise<{ lines: Line[]; batches: number }> {
  const lines: Line[] = [];
  let batches = 0;
  for await (const batch of readLines(chunked(chunks), { maxLineBytes: max })) {
    expect(batch.length).toBeGreaterThan(0);
    batches++;
    lines.push(...batch);
  }
  return { lines, batches };
}

/** Bytes with many newlines, CRs, CR LFs, long runs and invalid UTF-8. */
const streamBytes = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      fc.constantFrom("\n", "\r\n", "\r", "\n\n", "\r\r\n").map((s) => Buffer.from(s)),
      fc
        .constantFrom(
          [0xff],
          [0xc3],
          [0xe2, 0x82],
          [0xed, 0xa0, 0x80],
          [0xf4, 0x90, 0x80, 0x80],
          [0xc3, 0xa9],
        )
        .map((b) => Buffer.from(b)),
      fc.integer({ min: 1, max: 300 }).map((n) => Buffer.alloc(n, 0x61)),
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts));

const cutPoints = fc.array(fc.nat(), { maxLength: 20 });

describe("line reader: properties", () => {
  it(
    "gives the reference lines whatever the chunk boundaries (empty chunks too), overlong lines as their length",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          streamBytes,
          cutPoints,
          fc.integer({ min: 0, max: 120 }),
          async (bytes, cuts, max) => {
            const { lines } = await collect(splitAt(bytes, cuts), max);
            expect(lines.map(asComparable)).toEqual(referenceLines(bytes, max));
            for (const line of lines) if (Buffer.isBuffer(line)) expect(line.length).toBeLessThanOrEqual(max);
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "never keeps more than one line's worth: a huge line in 1-byte to 64 KB chunks is only counted",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 400_000 }),
          fc.integer({ min: 1, max: 65_536 }),
          fc.boolean(),
          async (size, chunk, cr) => {
            const bytes = Buffer.concat([
              Buffer.from("first\n"),
              Buffer.alloc(size, 0x62),
              Buffer.from(cr ? "\r\nlast" : "\nlast"),
            ]);
            const cuts = Array.from(
              { length: Math.min(2_000, Math.ceil(bytes.length / chunk)) },
              (_, k) => (k + 1) * chunk,
            );
            const { lines } = await timedAsync("overlong line", () => collect(splitAt(bytes, cuts), 1_000));
            const middle = size + (cr ? 1 : 0);
            expect(lines.map(asComparable)).toEqual([
              Buffer.from("first").toString("hex"),
              middle > 1_000 ? { tooLong: middle } : Buffer.alloc(size, 0x62).toString("hex"),
              Buffer.from("last").toString("hex"),
            ]);
          },
        ),
        runs(0.3),
      );
    },
    timeout(1),
  );

  it(
    "reads a long line arriving in small chunks in linear time (no copy of the whole tail per chunk)",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1_000_000, max: 2_000_000 }),
          fc.integer({ min: 8, max: 32 }),
          async (size, chunk) => {
            const bytes = Buffer.alloc(size + 1, 0x63);
            bytes[size] = 10;
            const chunks = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, k) =>
              bytes.subarray(k * chunk, (k + 1) * chunk),
            );
            // Quadratic copying took seconds here (2 MB in 32-byte chunks: ~60 GB copied).
            const { lines } = await timedAsync(
              "long line in small chunks",
              () => collect(chunks, 4 << 20),
              1_500,
            );
            expect(lines).toHaveLength(1);
            expect((lines[0] as Buffer).length).toBe(size);
          },
        ),
        { ...runs(0.02), numRuns: Math.max(2, Math.round(runs(0.02).numRuns ?? 2)) },
      );
    },
    timeout(1),
  );

  it(
    "decodes each line as UTF-8 or names it invalid_utf8 / line_too_long, and counts every byte",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          streamBytes,
          cutPoints,
          fc.integer({ min: 1, max: 120 }),
          async (bytes, cuts, max) => {
            const counter = { bytes: 0 };
            const out: unknown[] = [];
            for await (const batch of textLines(
              chunked(splitAt(bytes, cuts)),
              { maxLineBytes: max },
              counter,
            ))
              out.push(...batch);
            expect(counter.bytes).toBe(bytes.length);
            const reference = referenceLines(bytes, max).map((line) => {
              if (typeof line !== "string")
                return { reason: "line_too_long", detail: `${line.tooLong} bytes` };
              const raw = Buffer.from(line, "hex");
              let text: string;
              try {
                text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
              } catch {
                return { reason: "invalid_utf8", detail: "line is not valid UTF-8" };
              }
              return text;
            });
            expect(out).toEqual(reference);
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "passes plain bytes through unchanged and gunzips gzip, however the first bytes are split",
    async () => {
      await fc.assert(
        fc.asyncProperty(
          streamBytes,
          cutPoints,
          fc.boolean(),
          fc.constantFrom([], [1], [1, 2], [0, 1], [2]),
          async (bytes, cuts, gzip, head) => {
            const input = gzip ? gzipSync(bytes) : bytes;
            const chunks = splitAt(input, [...head, ...cuts]);
            const out: Buffer[] = [];
            for await (const chunk of decompressIfGzip(chunked(chunks))) out.push(chunk);
            expect(Buffer.concat(out).equals(bytes)).toBe(true);
          },
        ),
        runs(3),
      );
    },
    timeout(3),
  );

  it(
    "passes bytes starting like gzip (1f, 1f 8b alone) through or fails with a zlib error, never hangs",
    async () => {
      const corrupt = fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b]), b])),
        fc.tuple(streamBytes, fc.nat(), fc.nat(255)).map(([bytes, at, value]) => {
          const gz = Buffer.from(gzipSync(bytes));
          gz[at % gz.length] = value;
          return gz;
        }),
        fc.tuple(streamBytes, fc.nat()).map(([bytes, cut]) => {
          const gz = gzipSync(bytes);
          return gz.subarray(0, cut % gz.length);
        }),
        fc.constantFrom(
          Buffer.from([0x1f]),
          Buffer.from([0x1f, 0x8b]),
          Buffer.from([0x1f, 0x00, 0x8b]),
          Buffer.alloc(0),
        ),
      );
      await fc.assert(
        fc.asyncProperty(corrupt, cutPoints, async (input, cuts) => {
          const out: Buffer[] = [];
          try {
            await timedAsync("corrupt gzip", async () => {
              for await (const chunk of decompressIfGzip(chunked(splitAt(input, cuts)))) out.push(chunk);
            });
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
            expect((error as NodeJS.ErrnoException).code ?? "").toMatch(/^Z_|^ERR_/);
            return;
          }
          if (input[0] !== 0x1f || input[1] !== 0x8b) expect(Buffer.concat(out).equals(input)).toBe(true);
        }),
        runs(3),
      );
    },
    timeout(3),
  );
});
