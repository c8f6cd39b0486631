/** The machine a run was measured on, as the report prints it. */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  kernel: string;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: os.cpus() still names the model.
  }
  return cpus()[0]?.model ?? "unknown";
}

export function describeMachine(): Machine {
  let kernel: string = process.platform;
  try {
    kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  } catch {
    // Not Linux: the platform name says enough.
  }
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    kernel,
  };
}

/** Jiffies busy and total since boot, over all CPUs (/proc/stat); undefined off Linux. */
function cpuJiffies(): { busy: number; total: number } | undefined {
  try {
    const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1);
    const values = fields.map(Number);
    const total = values.reduce((sum, n) => sum + n, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/**
 * The share of all CPUs busy over the next `ms` while this process waits: other work on the machine
 * (another build, another benchmark) takes cores from the server and skews every figure.
 */
export async function busyShare(ms: number): Promise<number | undefined> {
  const before = cpuJiffies();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuJiffies();
  if (!before || !after || after.total === before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
