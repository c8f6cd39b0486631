/**
 * `npm run soak` (scripts/soak.ts) for a few seconds against the embedded store: it starts its own
 * server (from source), loads it with HTTP ingest, D4 ingest and queries, prints a row per period and
 * a summary, writes the rows as JSON and exits 0 when nothing went wrong.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runSoak(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/soak.ts", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The rows of the JSON file, as far as this test reads them. */
interface Row {
  minute: number;
  httpRecordsPerSecond: number;
  tlsSessionsPerSecond: number;
  d4RecordsPerSecond: number | null;
  queriesPerSecond: number;
  errors: number;
  rssMb: number | null;
  storeMb: number | null;
}

describe("npm run soak", () => {
  let dir: string;
  let run: Run;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "soak-test-"));
    run = await runSoak([
      "--minutes",
      "0.3",
      "--period-seconds",
      "5",
      "--server",
      "source",
      "--http-rate",
      "1000",
      "--http-batch",
      "1000",
      "--d4-rate",
      "500",
      "--query-rate",
      "100",
      "--out",
      join(dir, "soak.json"),
    ]);
  }, 90_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 with zero errors", () => {
    expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/^ {2}errors: 0$/m);
    expect(run.stdout).toMatch(/^ {2}result: OK$/m);
  });

  it("prints a row per period under the table's header", () => {
    const lines = run.stdout.split("\n");
    const header = lines.findIndex((line) =>
      /^\s*min\s+http rec\/s\s+tls\/s\s+d4 rec\/s\s+queries\/s/.test(line),
    );
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = lines.slice(header + 1).filter((line) => /^\s*\d+\.\d+\s+[\d,]+\s/.test(line));
    // 18 s in periods of 5 s: three full rows and a shorter last one.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(run.stdout).toMatch(/^summary \(/m);
    expect(run.stdout).toMatch(/^ {2}rss: first \d+ MB, last \d+ MB, max \d+ MB/m);
  });

  it("writes the rows as JSON, every load moving and the server measured", async () => {
    const json = JSON.parse(await readFile(join(dir, "soak.json"), "utf8")) as {
      rows: Row[];
      summary: { errors: number; d4: { sent: number; written: number } | null; died: string | null };
    };
    expect(json.rows.length).toBeGreaterThanOrEqual(3);
    expect(json.summary).toMatchObject({ errors: 0, died: null });
    for (const row of json.rows) {
      expect(row.errors).toBe(0);
      expect(row.rssMb).toBeGreaterThan(0);
      expect(row.storeMb).toBeGreaterThan(0);
    }
    const sum = (figure: (row: Row) => number | null) =>
      json.rows.reduce((n, row) => n + (figure(row) ?? 0), 0);
    expect(sum((row) => row.httpRecordsPerSecond)).toBeGreaterThan(0);
    expect(sum((row) => row.tlsSessionsPerSecond)).toBeGreaterThan(0);
    expect(sum((row) => row.d4RecordsPerSecond)).toBeGreaterThan(0);
    expect(sum((row) => row.queriesPerSecond)).toBeGreaterThan(0);
    // Every line sent to the D4 endpoint was written.
    expect(json.summary.d4?.sent).toBeGreaterThan(0);
    expect(json.summary.d4?.written).toBe(json.summary.d4?.sent);
  });
});
