/**
 * The started server's log, written to a file rather than a pipe: the server logs synchronously, so a
 * pipe whose reader (this busy process) lags would stall the server it measures. The file is read as it
 * grows for the lines at level warn and above, and its end is shown when the server dies.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

const PROBLEM = /"level":"(warn|error|fatal)"/;
/** Problem lines kept for the report (the first ones: later ones usually repeat them). */
const KEPT = 20;
/** Bytes read per scan at most (the access log grows by a few MB a minute). */
const CHUNK_BYTES = 1024 * 1024;

export class ServerLog {
  readonly path: string;
  /** Lines at warn level and above, since the start. */
  problems = 0;
  readonly samples: string[] = [];
  #offset = 0;
  #partial = "";
  readonly #decoder = new StringDecoder("utf8");

  constructor(path: string) {
    this.path = path;
  }

  /** The file descriptor to give the server as its stderr (the caller closes it once spawned). */
  open(): number {
    return openSync(this.path, "a");
  }

  /** The last `bytes` of the log. */
  tail(bytes = 8_000): string {
    let fd: number | undefined;
    try {
      fd = openSync(this.path, "r");
      const size = statSync(this.path).size;
      const start = Math.max(0, size - bytes);
      const buffer = Buffer.alloc(size - start);
      readSync(fd, buffer, 0, buffer.length, start);
      return buffer.toString("utf8");
    } catch {
      return "";
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Reads what was logged since the last scan; returns the number of new problem lines. */
  scan(): number {
    let found = 0;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, "r");
      const buffer = Buffer.alloc(CHUNK_BYTES);
      for (;;) {
        const read = readSync(fd, buffer, 0, CHUNK_BYTES, this.#offset);
        if (read === 0) break;
        this.#offset += read;
        const lines = (this.#partial + this.#decoder.write(buffer.subarray(0, read))).split("\n");
        this.#partial = lines.pop() ?? "";
        for (const line of lines) {
          if (!PROBLEM.test(line)) continue;
          found++;
          if (this.samples.length < KEPT) this.samples.push(line);
        }
      }
    } catch {
      // No log yet.
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.problems += found;
    return found;
  }
}
