/**
 * The large answer: one GET of a name that owns a million records, read as a stream while counting
 * lines, against a server process started for this request alone (so its peak RSS is this answer's).
 */
import { get } from "node:http";

export interface StreamFigures {
  records: number;
  bytes: number;
  firstByteMs: number;
  lastByteMs: number;
}

/** GETs `url` and counts the NDJSON lines of the answer as they arrive; aborts after `timeoutMs`. */
export function streamAnswer(url: string, authorization: string, timeoutMs: number): Promise<StreamFigures> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const elapsedMs = () => Number(process.hrtime.bigint() - started) / 1e6;
    const figures: StreamFigures = { records: 0, bytes: 0, firstByteMs: 0, lastByteMs: 0 };
    const request = get(url, { headers: { authorization } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reject(new Error(`GET ${url}: HTTP ${response.statusCode}`));
        return;
      }
      response.on("data", (chunk: Buffer) => {
        if (figures.bytes === 0) figures.firstByteMs = elapsedMs();
        figures.bytes += chunk.length;
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) figures.records++;
      });
      response.on("end", () => {
        figures.lastByteMs = elapsedMs();
        clearTimeout(timer);
        resolve(figures);
      });
      response.on("error", reject);
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`GET ${url} took more than ${timeoutMs} ms`));
    }, timeoutMs);
    request.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Polls a process's memory while a request runs: VmHWM gives the peak of the total only, and for the
 * embedded store much of that total is LMDB's file mapping rather than heap.
 */
export function sampleMemory(
  read: () => Promise<{ anon: number; file: number }>,
  everyMs: number,
): { stop(): Promise<{ anon: number; file: number }> } {
  const peak = { anon: 0, file: 0 };
  const take = async () => {
    const now = await read();
    peak.anon = Math.max(peak.anon, now.anon);
    peak.file = Math.max(peak.file, now.file);
  };
  let pending = take();
  const timer = setInterval(() => {
    pending = pending.then(take);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      await take();
      return peak;
    },
  };
}
