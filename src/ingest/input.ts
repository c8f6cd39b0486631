/** Opens an ingest source (a file or stdin), gunzipping it when its first bytes say it is gzip. */

import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";

/**
 * Yields the bytes of `source`, decompressed when they start with the gzip magic (1f 8b): the
 * first chunk is peeked, so compressed stdin works too and file names do not matter.
 */
export async function* decompressIfGzip(source: AsyncIterable<Buffer> | Readable): AsyncGenerator<Buffer> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  let done = false;
  // A chunk can be a single byte (a pipe): gather at least two before deciding.
  while (headBytes < 2) {
    const next = await chunks.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (first.length > 0) yield first;
      if (done) return;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    } finally {
      // A consumer that stops early must still release the file.
      await chunks.return?.();
    }
  }
  if (first[0] !== 0x1f || first[1] !== 0x8b) {
    yield* all();
    return;
  }
  // pipeline() forwards a read error to the gunzip stream, whose iteration then throws it.
  const gunzip = pipeline(all(), createGunzip(), () => {});
  for await (const chunk of gunzip) yield chunk as Buffer;
}

/**
 * Opens `pathOrDash` (`-` is stdin) for ingest. `sizeBytes` is the file size (compressed, if it is
 * gzip) for progress reports, or undefined for stdin and pipes. Throws a readable error when the
 * file cannot be opened.
 */
export async function openInput(
  pathOrDash: string,
): Promise<{ stream: AsyncIterable<Buffer>; sizeBytes: number | undefined }> {
  if (pathOrDash === "-") return { stream: decompressIfGzip(process.stdin), sizeBytes: undefined };
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(pathOrDash, "r");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`input file not found: ${pathOrDash}`);
    throw new Error(`cannot open input ${pathOrDash}: ${(err as Error).message}`);
  }
  const stats = await handle.stat();
  if (stats.isDirectory()) {
    await handle.close();
    throw new Error(`input is a directory, not a file: ${pathOrDash}`);
  }
  const sizeBytes = stats.isFile() ? stats.size : undefined;
  // Large reads: fewer chunks, and fewer lines (ja3-jl lines are ~10 KB) joined across chunk boundaries.
  return { stream: decompressIfGzip(handle.createReadStream({ highWaterMark: 1 << 20 })), sizeBytes };
}
