/**
 * The server's side of a row: memory (from /proc when the server is our child, else from its metrics),
 * CPU, event-loop lag and D4 records written (from /metrics), and the store's size.
 */
import { clientAgent, exchange } from "./http-client.js";
import type { Target } from "./target.js";

export interface ServerFigures {
  /** Resident memory, MB. */
  rssMb: number | undefined;
  /** Proportional set size (LMDB's mapped pages counted once), MB. */
  pssMb: number | undefined;
  /** Anonymous resident memory (heap and other private memory; not LMDB's mapped file), MB. */
  anonMb: number | undefined;
  /** V8 heap used, MB. */
  heapMb: number | undefined;
  /** CPU seconds the server used since it started. */
  cpuSeconds: number | undefined;
  eventLoopLagP99Ms: number | undefined;
  /** The longest event-loop delay since the previous scrape (prom-client resets it on each). */
  eventLoopLagMaxMs: number | undefined;
  /** Records the D4 endpoint wrote since the server started. */
  d4Records: number | undefined;
  storeMb: number | undefined;
}

const MB = 1024 * 1024;

/**
 * The sum of the samples of `name` whose labels include `labels` in Prometheus text; undefined when
 * there is none.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  let total: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (line[name.length] !== " " && line[name.length] !== "{")) continue;
    const wanted = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (!wanted) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** Reads the figures of `target` each time `read` is called, on one keep-alive connection. */
export function serverFigures(target: Target): { read(): Promise<ServerFigures>; close(): void } {
  const agent = clientAgent();
  const scrape = async (): Promise<string | undefined> => {
    try {
      const answer = await exchange(agent, target.metricsUrl, { headers: target.metricsHeaders });
      return answer.status === 200 ? answer.body : undefined;
    } catch {
      return undefined;
    }
  };
  const read = async (): Promise<ServerFigures> => {
    const [metrics, memory, storeBytes] = await Promise.all([scrape(), target.memory(), target.storeBytes()]);
    const metric = (name: string, labels?: Record<string, string>) =>
      metrics === undefined ? undefined : metricValue(metrics, name, labels);
    const rss = memory?.rss ?? metric("pdns_pssl_process_resident_memory_bytes");
    const heap = metric("pdns_pssl_nodejs_heap_size_used_bytes");
    const lag = metric("pdns_pssl_nodejs_eventloop_lag_p99_seconds");
    const lagMax = metric("pdns_pssl_nodejs_eventloop_lag_max_seconds");
    return {
      rssMb: rss === undefined ? undefined : rss / MB,
      pssMb: memory?.pss === undefined ? undefined : memory.pss / MB,
      anonMb: memory ? memory.anon / MB : undefined,
      heapMb: heap === undefined ? undefined : heap / MB,
      cpuSeconds: metric("pdns_pssl_process_cpu_seconds_total"),
      eventLoopLagP99Ms: lag === undefined ? undefined : lag * 1000,
      eventLoopLagMaxMs: lagMax === undefined ? undefined : lagMax * 1000,
      // The counter has no sample until the endpoint's first write.
      d4Records:
        metrics === undefined
          ? undefined
          : (metric("pdns_pssl_ingest_records_total", { source: "d4-endpoint" }) ?? 0),
      storeMb: storeBytes === undefined ? undefined : storeBytes / MB,
    };
  };
  return { read, close: () => agent.destroy() };
}

/** Lines the D4 endpoint has written since the server started (an admin's /info), or undefined. */
export async function d4LinesWritten(
  baseUrl: string,
  adminAuthorization: string,
): Promise<number | undefined> {
  const agent = clientAgent();
  try {
    const answer = await exchange(agent, `${baseUrl}/info`, {
      headers: { authorization: adminAuthorization },
    });
    if (answer.status !== 200) return undefined;
    const info = JSON.parse(answer.body) as { ingest?: { d4_endpoint: { lines: number } | null } };
    return info.ingest?.d4_endpoint?.lines;
  } catch {
    return undefined;
  } finally {
    agent.destroy();
  }
}
