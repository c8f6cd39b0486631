import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const SAMPLE = new URL("../../shared/samples/passivedns.txt", import.meta.url).pathname;
const SAMPLE_JSON = new URL("../../shared/samples/passivedns.json", import.meta.url).pathname;

describe("pdns-pssl command line", () => {
  let dir = "";
  let env: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-cli-"));
    env = { PDNS_PSSL_DATA_DIR: join(dir, "data"), PDNS_PSSL_STORE: "embedded" };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("prints help", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ingest/);
    expect(result.stdout).toMatch(/tokens/);
  });

  it("stops on a bad setting with one line naming the flag and the variable", async () => {
    const result = await runCli(["users", "list"], { PDNS_PSSL_STORE: "mysql://x" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/--store \/ PDNS_PSSL_STORE/);
  });

  it("says in one line that the store cannot be reached, without the password", async () => {
    const result = await runCli(["users", "list"], { PDNS_PSSL_STORE: "redis://:hunter2@127.0.0.1:1" });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot reach the store at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(result.stderr).not.toContain("hunter2");
  });

  it("ingests a gzip file with bad lines among good ones, reporting each reason", async () => {
    const good = "1795666358.860205||127.0.0.1||127.0.0.53||IN||ok.example.||A||192.0.2.1||300||2\n";
    const input = [
      good,
      "garbage without delimiters\n",
      "1795666358.860205||127.0.0.1||127.0.0.53||IN||bad..name.||A||192.0.2.1||300||1\n",
      Buffer.from([0xff, 0xfe, 0x0a]).toString("latin1"),
      good.replace("ok.", "ok2."),
    ].join("");
    const file = join(dir, "mixed.txt.gz");
    await writeFile(file, gzipSync(Buffer.from(input, "latin1")));
    const result = await runCli(["ingest", "passivedns", file, "--json"], env);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ lines: 5, records: 2, written: 2, created: 2 });
    expect(summary.rejected).toEqual({ field_count: 1, bad_name: 1, invalid_utf8: 1 });
    expect(summary.firstRejects.map((r: { line: number }) => r.line)).toEqual([2, 3, 4]);
    // Not a terminal: plain progress lines only, no control characters.
    expect(result.stderr).not.toContain("\u001b");
  });

  it("reads stdin and the sensor's JSON mode, and prints a readable summary", async () => {
    const { readFile } = await import("node:fs/promises");
    const result = await runCli(
      ["ingest", "passivedns", "-", "--format", "json", "--sensor-id", "json-sensor"],
      env,
      await readFile(SAMPLE_JSON),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^lines read: +216$/m);
    expect(result.stdout).toMatch(/^error answers: +10$/m);
    expect(result.stdout).toMatch(/^rejected: +0$/m);
  });

  it("exits non-zero only when nothing could be read", async () => {
    const missing = await runCli(["ingest", "passivedns", join(dir, "nope.txt")], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope\.txt/);
    const sample = await runCli(["ingest", "passivedns", SAMPLE], env);
    expect(sample.code).toBe(0);
  });

  it("creates, lists and revokes tokens; tokens create prints only the token", async () => {
    expect((await runCli(["users", "add", "carol", "--role", "analyst"], env)).code).toBe(0);
    const created = await runCli(["tokens", "create", "carol", "--name", "ci"], env);
    expect(created.stdout).toMatch(/^pps_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    const id = created.stdout.split("_")[1] as string;
    const listed = await runCli(["tokens", "list", "carol", "--json"], env);
    const tokens = JSON.parse(listed.stdout);
    expect(tokens).toEqual([expect.objectContaining({ id, label: "ci" })]);
    expect(listed.stdout).not.toContain(created.stdout.trim());
    expect((await runCli(["tokens", "revoke", "carol", id], env)).code).toBe(0);
    expect(JSON.parse((await runCli(["tokens", "list", "carol", "--json"], env)).stdout)).toEqual([]);
    const duplicate = await runCli(["users", "add", "carol"], env);
    expect(duplicate.code).not.toBe(0);
  });
});
