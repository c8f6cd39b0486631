/**
 * Streams text chunks as an HTTP body, pulled on demand: a chunk is produced only when the client has
 * taken the previous ones, so a million-record answer starts at once and holds bounded memory.
 */
const encoder = new TextEncoder();

export const NDJSON = "application/x-ndjson";

/**
 * The response for a chunked answer. Most answers fit in their first chunk: those are sent as one plain
 * body (cheaper than a stream); larger ones stream the rest as the client reads.
 */
export async function chunkedResponse(
  chunks: AsyncIterable<string>,
  headers: Record<string, string>,
): Promise<Response> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return new Response("", { headers });
  const second = await iterator.next();
  if (second.done) return new Response(first.value, { headers });
  const pending = [first.value, second.value];
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const buffered = pending.shift();
        if (buffered !== undefined) {
          controller.enqueue(encoder.encode(buffered));
          return;
        }
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
  return new Response(body, { headers });
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
