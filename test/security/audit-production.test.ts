/**
 * The production-dependency audit (scripts/audit-production.ts): what each shape of
 * `npm audit --omit=dev --json` output means for the build — npm 11 reports (audit report version 2)
 * clean, with low/moderate only, with high and critical advisories (direct and through another
 * package), and npm's error objects when the audit cannot run (as captured from npm 11: the registry's
 * 405 to the bulk advisory endpoint, a refused connection, no lockfile) — then the script end to end,
 * with a stand-in `npm` on PATH printing those outputs.
 */
import { spawnSync } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyAudit, reportOf } from "../../scripts/audit-production.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const NO_COUNTS = { info: 0, low: 0, moderate: 0, high: 0, critical: 0, total: 0 };

/** A clean npm 11 report (`npm audit --omit=dev --json` with nothing found). */
const CLEAN = {
  auditReportVersion: 2,
  vulnerabilities: {},
  metadata: {
    vulnerabilities: NO_COUNTS,
    dependencies: { prod: 131, dev: 0, optional: 12, peer: 0, peerOptional: 0, total: 142 },
  },
};

const moderateEntry = {
  name: "cookie",
  severity: "moderate",
  isDirect: false,
  via: [
    {
      source: 1103907,
      name: "cookie",
      dependency: "cookie",
      title: "cookie accepts cookie name, path, and domain with out of bounds characters",
      url: "https://github.com/advisories/GHSA-pxg6-pf52-xh8x",
      severity: "low",
      cwe: ["CWE-74"],
      cvss: { score: 0, vectorString: null },
      range: "<0.7.0",
    },
  ],
  effects: [],
  range: "<0.7.0",
  nodes: ["node_modules/cookie"],
  fixAvailable: true,
};

/** A high advisory in a direct dependency, which a second direct dependency inherits, and a moderate. */
const HIGH = {
  auditReportVersion: 2,
  vulnerabilities: {
    hono: {
      name: "hono",
      severity: "high",
      isDirect: true,
      via: [
        {
          source: 1104111,
          name: "hono",
          dependency: "hono",
          title: "Hono allows path traversal in serveStatic on Windows",
          url: "https://github.com/advisories/GHSA-0000-0000-0001",
          severity: "high",
          cwe: ["CWE-22"],
          cvss: { score: 7.5, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" },
          range: "<4.6.5",
        },
      ],
      effects: ["@hono/node-server"],
      range: "<4.6.5",
      nodes: ["node_modules/hono"],
      fixAvailable: true,
    },
    "@hono/node-server": {
      name: "@hono/node-server",
      severity: "high",
      isDirect: true,
      via: ["hono"],
      effects: [],
      range: "<=1.13.0",
      nodes: ["node_modules/@hono/node-server"],
      fixAvailable: { name: "@hono/node-server", version: "2.1.9", isSemVerMajor: true },
    },
    cookie: moderateEntry,
  },
  metadata: {
    vulnerabilities: { info: 0, low: 0, moderate: 1, high: 2, critical: 0, total: 3 },
    dependencies: { prod: 131, dev: 0, optional: 12, peer: 0, peerOptional: 0, total: 142 },
  },
};

const CRITICAL = {
  auditReportVersion: 2,
  vulnerabilities: {
    jose: {
      name: "jose",
      severity: "critical",
      isDirect: true,
      via: [
        {
          source: 1109999,
          name: "jose",
          dependency: "jose",
          title: "jose accepts tokens with a forged signature",
          url: "https://github.com/advisories/GHSA-0000-0000-0002",
          severity: "critical",
          cwe: ["CWE-347"],
          cvss: { score: 9.1, vectorString: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N" },
          range: ">=6.0.0 <6.2.19",
        },
      ],
      effects: [],
      range: "6.0.0 - 6.2.18",
      nodes: ["node_modules/jose"],
      fixAvailable: false,
    },
  },
  metadata: { vulnerabilities: { ...NO_COUNTS, critical: 1, total: 1 } },
};

/** What npm 11 prints (stdout, exit 1) when the registry answers 405 to the bulk advisory endpoint. */
const ERROR_405 = {
  message: "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
  method: "POST",
  uri: "https://registry.npmjs.org/-/npm/v1/security/advisories/bulk",
  headers: { allow: ["GET,HEAD"], "content-length": ["0"], "x-fetch-attempts": ["1"] },
  statusCode: 405,
  body: "",
  error: { summary: "", detail: "" },
};

/** ...when the registry cannot be reached. */
const ERROR_REFUSED = {
  message:
    "request to http://127.0.0.1:9/-/npm/v1/security/advisories/bulk failed, reason: connect ECONNREFUSED 127.0.0.1:9",
  error: { summary: "", detail: "" },
};

/** ...with no lockfile. */
const ERROR_NO_LOCK = {
  error: {
    code: "ENOLOCK",
    summary: "This command requires an existing lockfile.",
    detail:
      "Try creating one first with: npm i --package-lock-only\nOriginal error: loadVirtual requires existing shrinkwrap file",
  },
};

/** The coded form npm documents for registry errors. */
const ERROR_CODED = {
  error: {
    code: "E405",
    summary: "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk",
    detail: "",
  },
};

const text = (value: unknown) => JSON.stringify(value, null, 2);

describe("classifyAudit", () => {
  it("passes a clean report with the line CI shows", () => {
    const verdict = classifyAudit(text(CLEAN));
    expect(verdict.kind).toBe("clean");
    expect(reportOf(verdict)).toEqual({
      lines: ["npm audit: 0 high/critical advisories in production dependencies"],
      exitCode: 0,
    });
  });

  it("passes low and moderate advisories, naming them", () => {
    const report = {
      ...CLEAN,
      vulnerabilities: { cookie: moderateEntry },
      metadata: { vulnerabilities: { ...NO_COUNTS, moderate: 1, total: 1 } },
    };
    const verdict = classifyAudit(text(report));
    expect(verdict.kind).toBe("clean");
    const { lines, exitCode } = reportOf(verdict);
    expect(exitCode).toBe(0);
    expect(lines).toEqual([
      "npm audit: 0 high/critical advisories in production dependencies",
      "npm audit: also 1 moderate (not failing the build)",
    ]);
  });

  it("fails on high advisories, listing each package with its advisories and the path it comes by", () => {
    const verdict = classifyAudit(text(HIGH));
    expect(verdict.kind).toBe("advisories");
    if (verdict.kind !== "advisories") return;
    expect(verdict.findings.map((f) => [f.name, f.severity])).toEqual([
      ["hono", "high"],
      ["@hono/node-server", "high"],
    ]);
    const { lines, exitCode } = reportOf(verdict);
    expect(exitCode).toBe(1);
    expect(lines[0]).toBe("npm audit: 0 critical and 2 high advisories in production dependencies:");
    const printed = lines.join("\n");
    expect(printed).toContain("hono <4.6.5 (high, fix available: npm audit fix)");
    expect(printed).toContain(
      "Hono allows path traversal in serveStatic on Windows (https://github.com/advisories/GHSA-0000-0000-0001)",
    );
    expect(printed).toContain("@hono/node-server <=1.13.0 (high, fix available");
    expect(printed).toContain("via hono");
    // The moderate one is not among the failures.
    expect(printed).not.toContain("cookie");
  });

  it("fails on a critical advisory without a fix", () => {
    const { lines, exitCode } = reportOf(classifyAudit(text(CRITICAL)));
    expect(exitCode).toBe(1);
    expect(lines).toEqual([
      "npm audit: 1 critical and 0 high advisories in production dependencies:",
      "  jose 6.0.0 - 6.2.18 (critical)",
      "    jose accepts tokens with a forged signature (https://github.com/advisories/GHSA-0000-0000-0002)",
    ]);
  });

  it("fails when the metadata counts a high advisory the entries do not show", () => {
    const report = { ...CLEAN, metadata: { vulnerabilities: { ...NO_COUNTS, high: 1, total: 1 } } };
    expect(reportOf(classifyAudit(text(report))).exitCode).toBe(1);
  });

  it("warns and passes when the audit could not run: 405, unreachable registry, coded error, no lockfile", () => {
    const cases: [unknown, RegExp][] = [
      [
        ERROR_405,
        /HTTP 405: 405 Method Not Allowed - POST https:\/\/registry\.npmjs\.org\/-\/npm\/v1\/security\/advisories\/bulk/,
      ],
      [ERROR_REFUSED, /ECONNREFUSED/],
      [ERROR_CODED, /^E405: 405 Method Not Allowed/],
      [ERROR_NO_LOCK, /^ENOLOCK: This command requires an existing lockfile\./],
      [{ error: {} }, /npm gave no reason/],
    ];
    for (const [output, reason] of cases) {
      const verdict = classifyAudit(text(output));
      expect(verdict.kind).toBe("unavailable");
      if (verdict.kind === "unavailable") expect(verdict.reason).toMatch(reason);
      const { lines, exitCode } = reportOf(verdict);
      expect(exitCode).toBe(0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^WARNING: npm audit could not run, production dependencies NOT checked for advisories \(.+\)$/,
      );
    }
  });

  it("fails (exit 2) on output that is neither a report nor npm's error object", () => {
    for (const output of [
      "",
      "npm ERR! something else entirely",
      "[]",
      "null",
      text({ auditReportVersion: 2 }),
      text({ auditReportVersion: 2, vulnerabilities: { x: { name: "x", severity: "dire" } } }),
    ]) {
      const verdict = classifyAudit(output);
      expect(verdict.kind, output).toBe("unreadable");
      expect(reportOf(verdict).exitCode).toBe(2);
    }
  });
});

describe("npm run audit:prod, with a stand-in npm", () => {
  let dir = "";

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-audit-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the script with an `npm` on PATH that prints `output` and exits 1, as npm audit does. */
  async function runWith(
    output: unknown,
  ): Promise<{ code: number | null; stdout: string; stderr: string; args: string }> {
    const sample = join(dir, "sample.json");
    await writeFile(sample, text(output));
    const npm = join(dir, "npm");
    await writeFile(npm, `#!/bin/sh\necho "$@" > "${dir}/args"\ncat "${sample}"\nexit 1\n`);
    await chmod(npm, 0o755);
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/audit-production.ts"], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH ?? ""}` },
      encoding: "utf8",
    });
    return {
      code: run.status,
      stdout: run.stdout,
      stderr: run.stderr,
      args: (await readFile(join(dir, "args"), "utf8")).trim(),
    };
  }

  it("audits production dependencies only, and fails on a high advisory", async () => {
    const run = await runWith(HIGH);
    expect(run.args).toBe("audit --omit=dev --json");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2 high advisories in production dependencies");
  });

  it("passes with a WARNING when npm could not audit (405)", async () => {
    const run = await runWith(ERROR_405);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^WARNING: npm audit could not run/);
  });
});
