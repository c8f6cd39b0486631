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

/**
 * CPU time since boot in clock ticks: the whole machine's, and ours: this process with its reaped
 * children, plus the running processes `pids` (children still alive are not in the reaped total).
 */
export interface CpuSnapshot {
  machineBusy: number;
  machineTotal: number;
  ours: number;
}

/** utime, stime, cutime, cstime of /proc/<pid>/stat (fields 14-17, after the ")" ending the name). */
function processTicks(pid: number | "self"): number[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat
    .slice(stat.lastIndexOf(")") + 2)
    .split(" ")
    .slice(11, 15)
    .map(Number);
}

/** Undefined off Linux (no /proc) or when a process in `pids` is gone. */
export function cpuSnapshot(pids: readonly number[] = []): CpuSnapshot | undefined {
  try {
    const machine = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1);
    const values = machine.map(Number);
    const total = values.reduce((sum, n) => sum + n, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    let ours = processTicks("self").reduce((sum, n) => sum + n, 0);
    for (const pid of pids) {
      const [utime = 0, stime = 0] = processTicks(pid);
      ours += utime + stime;
    }
    return { machineBusy: total - idle, machineTotal: total, ours };
  } catch {
    return undefined;
  }
}

/**
 * The share of all CPUs that other processes used between two snapshots: another build or benchmark
 * takes cores from the server and skews every figure. Children count as ours once they have exited.
 */
export function othersShare(before: CpuSnapshot, after: CpuSnapshot): number {
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return 0;
  const others = after.machineBusy - before.machineBusy - (after.ours - before.ours);
  return Math.max(0, others / total);
}

/** The share of all CPUs that other processes use over the next `ms`, while this process waits. */
export async function busyShare(ms: number): Promise<number | undefined> {
  const before = cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuSnapshot();
  return before && after ? othersShare(before, after) : undefined;
}
