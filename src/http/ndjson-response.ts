/**
 * Streams text chunks as an HTTP body, pulled on demand: a chunk is produced only when the client has
 * taken the previous ones, so a million-record answer starts at once and holds bounded memory.
 */
import type { StreamOutcome } from "./request-env.js";

const encoder = new TextEncoder();

export const NDJSON = "application/x-ndjson";

/** Lines (newline characters) in a chunk. */
function countLines(chunk: string): number {
  let lines = 0;
  for (let at = chunk.indexOf("\n"); at !== -1; at = chunk.indexOf("\n", at + 1)) lines++;
  return lines;
}

/**
 * The body of a chunked answer, for `answer()` (which adds the request's common headers). Most
 * answers fit in their first chunk: those are one plain string (cheaper than a stream); larger ones
 * stream the rest as the client reads. `onDone` learns how many lines were sent once the answer is
 * complete or the client has gone.
 */
export async function chunkedBody(
  chunks: AsyncIterable<string>,
  onDone: (outcome: StreamOutcome) => void = () => {},
): Promise<string | ReadableStream<Uint8Array>> {
  const iterator = chunks[Symbol.asyncIterator]();
  let first: IteratorResult<string>;
  let second: IteratorResult<string>;
  try {
    first = await iterator.next();
    if (first.done) {
      onDone({ lines: 0, aborted: false });
      return "";
    }
    second = await iterator.next();
  } catch (error) {
    // The answer fails before it starts (a bad cursor...): it is still complete, with nothing sent.
    onDone({ lines: 0, aborted: true });
    throw error;
  }
  if (second.done) {
    onDone({ lines: countLines(first.value), aborted: false });
    return first.value;
  }
  const pending = [first.value, second.value];
  let lines = 0;
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: string) => {
    lines += countLines(chunk);
    controller.enqueue(encoder.encode(chunk));
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const buffered = pending.shift();
        if (buffered !== undefined) {
          send(controller, buffered);
          return;
        }
        let next: IteratorResult<string>;
        try {
          next = await iterator.next();
        } catch (error) {
          onDone({ lines, aborted: true });
          throw error;
        }
        if (next.done) {
          controller.close();
          onDone({ lines, aborted: false });
        } else send(controller, next.value);
      },
      async cancel() {
        onDone({ lines, aborted: true });
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}

/** Concatenates the lines of each group into one chunk (one write per group, not per line). */
export async function* joinLines<T>(
  groups: AsyncIterable<T[]>,
  line: (item: T) => string,
): AsyncGenerator<string> {
  for await (const group of groups) {
    let chunk = "";
    for (const item of group) chunk += line(item);
    if (chunk.length > 0) yield chunk;
  }
}

/** The first `max` items of chunked groups (all of them when `max` is undefined). */
export async function* limitChunks<T>(
  groups: AsyncIterable<T[]>,
  max: number | undefined,
): AsyncGenerator<T[]> {
  if (max === undefined) {
    yield* groups;
    return;
  }
  let left = max;
  if (left <= 0) return;
  for await (const group of groups) {
    if (group.length >= left) {
      yield group.slice(0, left);
      return;
    }
    left -= group.length;
    yield group;
  }
}
