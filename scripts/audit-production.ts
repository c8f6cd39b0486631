/**
 * `npm run audit:prod` (CI runs it after `npm ci`): `npm audit --omit=dev --json`, read here so that
 * - a high or critical advisory in a production dependency fails (exit 1, each one printed);
 * - an audit that could not run (the registry's audit endpoint unreachable or refusing, no lockfile:
 *   npm answers with an error object instead of a report) prints one WARNING line saying why and passes
 *   (exit 0): a machine without the audit endpoint can still build;
 * - output that is neither a report nor npm's error object fails (exit 2): nothing is known then;
 * - otherwise prints "npm audit: 0 high/critical advisories in production dependencies".
 * Dev dependencies are left out: they never reach a deployment.
 */
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";

export type Severity = "info" | "low" | "moderate" | "high" | "critical";

/** One vulnerable package of the report, with the advisories that make it so. */
export interface Finding {
  name: string;
  severity: Severity;
  /** The installed versions affected. */
  range: string;
  /** Advisory titles and links, or the packages it is vulnerable through ("via x"). */
  advisories: string[];
  fixAvailable: boolean;
}

export type AuditVerdict =
  | { kind: "advisories"; findings: Finding[]; counts: Record<Severity, number> }
  | { kind: "clean"; counts: Record<Severity, number> }
  | { kind: "unavailable"; reason: string }
  | { kind: "unreadable"; reason: string };

const SEVERITIES: readonly Severity[] = ["info", "low", "moderate", "high", "critical"];
const FAILING: ReadonlySet<Severity> = new Set(["high", "critical"]);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function isSeverity(value: unknown): value is Severity {
  return typeof value === "string" && (SEVERITIES as readonly string[]).includes(value);
}

/** Why npm could not audit, from its error object (`{"error": {...}}`, with or without a message). */
function failureReason(report: Json, error: Json): string {
  const parts = [
    typeof error.code === "string" && error.code !== "" ? error.code : undefined,
    typeof report.statusCode === "number" ? `HTTP ${report.statusCode}` : undefined,
    typeof report.message === "string" && report.message !== "" ? report.message : undefined,
    typeof error.summary === "string" && error.summary !== "" ? error.summary : undefined,
  ].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(": ") : "npm gave no reason";
}

function findingOf(name: string, entry: Json): Finding | undefined {
  if (!isSeverity(entry.severity)) return undefined;
  const via = Array.isArray(entry.via) ? entry.via : [];
  const advisories = via.map((item: unknown) => {
    if (typeof item === "string") return `via ${item}`;
    if (isObject(item)) {
      const title = typeof item.title === "string" ? item.title : "advisory";
      return typeof item.url === "string" ? `${title} (${item.url})` : title;
    }
    return "advisory";
  });
  return {
    name,
    severity: entry.severity,
    range: typeof entry.range === "string" ? entry.range : "",
    advisories,
    fixAvailable: entry.fixAvailable !== false && entry.fixAvailable !== undefined,
  };
}

/** What `npm audit --json` printed (npm 7 and later: audit report version 2) means for the build. */
export function classifyAudit(output: string): AuditVerdict {
  let report: unknown;
  try {
    report = JSON.parse(output);
  } catch {
    const start = output.trim().slice(0, 120);
    return {
      kind: "unreadable",
      reason: `npm audit did not print JSON${start ? `: ${start}` : " (no output)"}`,
    };
  }
  if (!isObject(report))
    return { kind: "unreadable", reason: "npm audit printed JSON that is not an object" };
  if (isObject(report.error) && !("vulnerabilities" in report)) {
    return { kind: "unavailable", reason: failureReason(report, report.error) };
  }
  if (!isObject(report.vulnerabilities)) {
    return { kind: "unreadable", reason: "npm audit printed neither a report nor an error" };
  }
  const findings: Finding[] = [];
  for (const [name, entry] of Object.entries(report.vulnerabilities)) {
    const finding = isObject(entry) ? findingOf(name, entry) : undefined;
    if (!finding) return { kind: "unreadable", reason: `npm audit's entry for ${name} has no severity` };
    findings.push(finding);
  }
  // The counts of the metadata, or of the entries when the metadata has none; never fewer than listed.
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) counts[finding.severity]++;
  const declared = isObject(report.metadata) ? report.metadata.vulnerabilities : undefined;
  if (isObject(declared)) {
    for (const severity of SEVERITIES) {
      const n = declared[severity];
      if (typeof n === "number" && n > counts[severity]) counts[severity] = n;
    }
  }
  const failing = findings.filter((f) => FAILING.has(f.severity));
  if (failing.length > 0 || counts.high > 0 || counts.critical > 0) {
    return { kind: "advisories", findings: failing, counts };
  }
  return { kind: "clean", counts };
}

/** The lines to print for a verdict, and the exit code. */
export function reportOf(verdict: AuditVerdict): { lines: string[]; exitCode: number } {
  switch (verdict.kind) {
    case "clean": {
      const lower = (["moderate", "low", "info"] as const)
        .filter((s) => verdict.counts[s] > 0)
        .map((s) => `${verdict.counts[s]} ${s}`);
      return {
        lines: [
          "npm audit: 0 high/critical advisories in production dependencies",
          ...(lower.length > 0 ? [`npm audit: also ${lower.join(", ")} (not failing the build)`] : []),
        ],
        exitCode: 0,
      };
    }
    case "advisories":
      return {
        lines: [
          `npm audit: ${verdict.counts.critical} critical and ${verdict.counts.high} high advisories in production dependencies:`,
          ...verdict.findings.flatMap((f) => [
            `  ${f.name} ${f.range} (${f.severity}${f.fixAvailable ? ", fix available: npm audit fix" : ""})`,
            ...f.advisories.map((a) => `    ${a}`),
          ]),
        ],
        exitCode: 1,
      };
    case "unavailable":
      return {
        lines: [
          `WARNING: npm audit could not run, production dependencies NOT checked for advisories (${verdict.reason})`,
        ],
        exitCode: 0,
      };
    case "unreadable":
      return { lines: [`npm audit: cannot tell (${verdict.reason})`], exitCode: 2 };
  }
}

function main(): void {
  const run = spawnSync("npm", ["audit", "--omit=dev", "--json"], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const verdict: AuditVerdict = run.error
    ? { kind: "unreadable", reason: `npm could not be run: ${run.error.message}` }
    : classifyAudit(run.stdout);
  const { lines, exitCode } = reportOf(verdict);
  (exitCode === 0 ? process.stdout : process.stderr).write(`${lines.join("\n")}\n`);
  process.exitCode = exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
