/**
 * Ingest progress on stderr: a self-rewriting bar on a terminal, a plain line every few seconds
 * otherwise (logs and pipes get no control characters).
 */
import type { IngestProgress } from "../ingest/ingest-passivedns.js";

const PLAIN_EVERY_MS = 5_000;
const TTY_EVERY_MS = 200;

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function progressReporter(
  totalBytes: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
) {
  const started = Date.now();
  let lastShown = 0;
  const isTty = stream.isTTY === true;

  const describe = (p: IngestProgress) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = Math.round(p.lines / seconds).toLocaleString("en-US");
    const size = totalBytes ? `${formatBytes(p.bytes)} / ${formatBytes(totalBytes)}` : formatBytes(p.bytes);
    return `${p.lines.toLocaleString("en-US")} lines · ${size} · ${rate} lines/s · ${p.rejected} rejected`;
  };

  return {
    update(p: IngestProgress) {
      const now = Date.now();
      if (now - lastShown < (isTty ? TTY_EVERY_MS : PLAIN_EVERY_MS)) return;
      lastShown = now;
      if (!isTty) {
        stream.write(`progress: ${describe(p)}\n`);
        return;
      }
      const width = 24;
      const done = totalBytes ? Math.min(p.bytes / totalBytes, 1) : 0;
      const bar = totalBytes ? `[${"#".repeat(Math.round(done * width)).padEnd(width, ".")}] ` : "";
      stream.write(`\r\x1b[2K${bar}${describe(p)}`);
    },
    finish() {
      if (isTty && lastShown > 0) stream.write("\r\x1b[2K");
    },
  };
}
