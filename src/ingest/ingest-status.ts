/**
 * What the ingest running inside `serve` is doing (D4 analyzer queues, the D4 sensor endpoint), for the
 * `ingest` key of /info (admins only: queue uuids and Redis addresses are operator information).
 */
import type { D4ListenerStats } from "../d4/d4-listener.js";
import type { D4Consumers, D4QueueReport } from "./d4-consumers.js";

/** Filled in by startServer as each part starts; read on every /info. */
export interface IngestStatus {
  queues: D4Consumers | undefined;
  endpoint: D4ListenerStats | undefined;
}

export interface IngestInfo {
  d4_queues: D4QueueReport[];
  d4_endpoint: {
    sessions_open: number;
    sessions_total: number;
    bytes: number;
    lines: number;
    records: number;
    rejected: number;
    refused: Record<string, number>;
  } | null;
}

export function ingestInfo(status: IngestStatus): IngestInfo {
  const d4 = status.endpoint;
  return {
    d4_queues: status.queues?.report() ?? [],
    d4_endpoint: d4
      ? {
          sessions_open: d4.open,
          sessions_total: d4.sessions,
          bytes: d4.bytes,
          lines: d4.lines,
          records: d4.records,
          rejected: d4.rejected,
          refused: { ...d4.refused } as Record<string, number>,
        }
      : null,
  };
}
