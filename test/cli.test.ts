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

  it("manages a user's role, state, tokens with expiry, quota, and deletion", async () => {
    const run = async (...args: string[]) => {
      const result = await runCli(args, env);
      if (result.code !== 0) throw new Error(`${args.join(" ")}: ${result.stderr}`);
      return result.stdout;
    };
    await run("users", "add", "dave", "--role", "sensor");
    await run("users", "set", "dave", "--role", "analyst", "--disable");
    const created = await runCli(["tokens", "create", "dave", "--expires-in", "2h"], env);
    expect(created.stderr).toMatch(/expiring \d{4}-\d{2}-\d{2}T/);
    const [token] = JSON.parse(await run("tokens", "list", "dave", "--json"));
    const expiresIn = Date.parse(token.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(7_000_000);
    expect(expiresIn).toBeLessThanOrEqual(7_200_000);
    expect(token.last_used_at).toBeNull();

    await run("quotas", "set", "dave", "--daily", "500", "--burst-size", "unlimited");
    await run("quotas", "set", "dave", "--results-max", "20");
    expect(JSON.parse(await run("quotas", "show", "dave"))).toEqual({
      quota: { daily: 500, burst_size: null, results_max: 20 },
      limits: { daily: 500, burst_size: null, burst_window: 60, results_max: 20 },
    });
    await run("quotas", "set", "dave", "--daily", "default");
    expect(JSON.parse(await run("quotas", "show", "dave")).quota).toEqual({
      burst_size: null,
      results_max: 20,
    });
    const shown = JSON.parse(await run("users", "show", "dave"));
    expect(shown).toMatchObject({
      name: "dave",
      role: "analyst",
      disabled: true,
      tokens: [{ id: token.id }],
    });
    await run("quotas", "clear", "dave");
    expect(JSON.parse(await run("quotas", "show", "dave")).quota).toEqual({});

    const badLimit = await runCli(["quotas", "set", "dave", "--daily", "lots"], env);
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr.trim()).toBe(
      "pdns-pssl: --daily: expected a positive integer, unlimited or default",
    );

    await run("users", "delete", "dave");
    expect((await runCli(["users", "show", "dave"], env)).code).toBe(2);
    expect(
      JSON.parse(await run("users", "list", "--json")).map((u: { name: string }) => u.name),
    ).not.toContain("dave");
  });

  it("keeps the last enabled admin, and reads an empty audit log", async () => {
    await runCli(["users", "add", "boss", "--role", "admin"], env);
    const demote = await runCli(["users", "set", "boss", "--role", "analyst"], env);
    expect(demote.code).toBe(2);
    expect(demote.stderr).toMatch(/last enabled admin/);
    const audit = await runCli(["audit", "--since", "-3600", "--json"], env);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toBe("");
    const badSince = await runCli(["audit", "--since", "yesterday"], env);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/--since must be epoch seconds/);
  });
});
