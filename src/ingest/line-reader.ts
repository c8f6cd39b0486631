/** Splits a byte stream into lines, batched per chunk, with a bound on the bytes kept for one line. */
import { isUtf8 } from "node:buffer";

/** A line's bytes (without `\n` or a trailing `\r`), or the length of a line too long to keep. */
export type Line = Buffer | { tooLong: number };

const LF = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);

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
  // The unfinished line carried from earlier chunks, copied out of them so they can be freed: the
  // first `tailBytes` bytes of `tail`, which grows by doubling (a line arriving in many small chunks
  // costs linear time, not a copy of the whole tail per chunk).
  let tail = EMPTY;
  let tailBytes = 0;
  const append = (part: Buffer) => {
    const need = tailBytes + part.length;
    if (need > tail.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, Math.min(2 * tail.length, max)));
      tail.copy(grown, 0, 0, tailBytes);
      tail = grown;
    }
    part.copy(tail, tailBytes);
    tailBytes = need;
  };
  const takeTail = () => {
    const line = tail.subarray(0, tailBytes);
    tail = EMPTY;
    tailBytes = 0;
    return line;
  };
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
      } else if (tailBytes > 0) {
        const total = tailBytes + length;
        if (total > max) {
          lines.push({ tooLong: total });
          takeTail();
        } else {
          append(chunk.subarray(pos, nl));
          lines.push(withoutCr(takeTail()));
        }
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
        const total = tailBytes + rest;
        if (total > max) {
          skipped = total;
          takeTail();
        } else {
          append(chunk.subarray(pos));
        }
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (skipped >= 0) yield [{ tooLong: skipped }];
  else if (tailBytes > 0) yield [withoutCr(takeTail())];
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
