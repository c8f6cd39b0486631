/** Splits a byte stream into lines, batched per chunk, with a bound on the bytes kept for one line. */
import { isUtf8 } from "node:buffer";

/** A line's bytes (without `\n` or a trailing `\r`), or the length of a line too long to keep. */
export type Line = Buffer | { tooLong: number };

const LF = 10;
const CR = 13;

function withoutCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
}

/**
 * Yields the lines completed by each chunk of `input` as one array. A line longer than
 * `maxLineBytes` (counting a trailing `\r`) is never buffered whole: it becomes `{ tooLong }` with
 * its length, and reading resumes at the next line. The last line needs no final `\n`.
 * Lines are Buffers so that the caller can check their UTF-8 before decoding them.
 */
export async function* readLines(
  input: AsyncIterable<Buffer>,
  opts: { maxLineBytes: number },
): AsyncGenerator<Line[]> {
  const max = opts.maxLineBytes;
  // The unfinished line carried from earlier chunks, copied out of them so they can be freed.
  let tail: Buffer | undefined;
  // Bytes of an overlong line seen so far, or -1 when not inside one.
  let skipped = -1;
  for await (const chunk of input) {
    const lines: Line[] = [];
    let pos = 0;
    for (let nl = chunk.indexOf(LF, pos); nl >= 0; nl = chunk.indexOf(LF, pos)) {
      const length = nl - pos;
      if (skipped >= 0) {
        lines.push({ tooLong: skipped + length });
        skipped = -1;
      } else if (tail !== undefined) {
        const total = tail.length + length;
        lines.push(
          total > max ? { tooLong: total } : withoutCr(Buffer.concat([tail, chunk.subarray(pos, nl)])),
        );
        tail = undefined;
      } else {
        lines.push(length > max ? { tooLong: length } : withoutCr(chunk.subarray(pos, nl)));
      }
      pos = nl + 1;
    }
    const rest = chunk.length - pos;
    if (rest > 0) {
      if (skipped >= 0) {
        skipped += rest;
      } else {
        const total = (tail?.length ?? 0) + rest;
        if (total > max) {
          skipped = total;
          tail = undefined;
        } else {
          tail =
            tail === undefined
              ? Buffer.from(chunk.subarray(pos))
              : Buffer.concat([tail, chunk.subarray(pos)]);
        }
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (skipped >= 0) yield [{ tooLong: skipped }];
  else if (tail !== undefined) yield [withoutCr(tail)];
}

/** A decoded line, or why it could not be read as one. */
export type TextLine = string | { reason: "line_too_long" | "invalid_utf8"; detail: string };

/**
 * readLines decoded to text for a parser: counts the input's bytes into `counter`, and turns an overlong
 * line or one that is not UTF-8 into a reason for the caller to count.
 */
export async function* textLines(
  input: AsyncIterable<Buffer>,
  opts: { maxLineBytes: number },
  counter: { bytes: number },
): AsyncGenerator<TextLine[]> {
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of input) {
      counter.bytes += chunk.length;
      yield chunk;
    }
  }
  for await (const lines of readLines(counted(), opts)) {
    yield lines.map((line): TextLine => {
      if (!Buffer.isBuffer(line)) return { reason: "line_too_long", detail: `${line.tooLong} bytes` };
      if (!isUtf8(line)) return { reason: "invalid_utf8", detail: "line is not valid UTF-8" };
      return line.toString("utf8");
    });
  }
}
