/**
 * Streams text chunks as an HTTP body, pulled on demand: a chunk is produced only when the client has
 * taken the previous ones, so a million-record answer starts at once and holds bounded memory.
 */
const encoder = new TextEncoder();

export const NDJSON = "application/x-ndjson";

export function streamResponse(
  chunks: AsyncIterable<string>,
  init: { status?: number; headers: Record<string, string> },
): Response {
  const iterator = chunks[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, { status: init.status ?? 200, headers: init.headers });
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
