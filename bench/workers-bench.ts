/**
 * `serve --workers N`: requests/s of the name-hit query with 1 and 2 worker processes on the embedded
 * store, the same load as the query section (autocannon in the bench process, which competes for the
 * same cores: on 2 cores, 2 workers share them with the load generator).
 */
import { execFileSync } from "node:child_process";
import { KNOWN } from "./corpus.js";
import { type LoadFigures, measureLoad, warmUp } from "./query-bench.js";
import { startServer } from "./server-process.js";

export interface WorkersFigures extends LoadFigures {
  workers: number;
}

/** The worker processes of a primary. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line !== "")
      .map(Number);
  } catch {
    return [];
  }
}

export async function measureWorkers(
  root: string,
  storeArgs: readonly string[],
  authorization: string,
  load: { seconds: number; warmupSeconds: number; connections: number },
  counts: readonly number[] = [1, 2],
): Promise<WorkersFigures[]> {
  const figures: WorkersFigures[] = [];
  for (const workers of counts) {
    const server = await startServer(root, storeArgs, ["--workers", String(workers)]);
    try {
      const url = `${server.baseUrl}/pdns/query/${KNOWN.nameHit}`;
      const options = { ...load, pids: [server.pid, ...childrenOf(server.pid)] };
      await warmUp(url, authorization, options);
      figures.push({ workers, ...(await measureLoad(url, authorization, options)) });
    } finally {
      await server.stop();
    }
  }
  return figures;
}
