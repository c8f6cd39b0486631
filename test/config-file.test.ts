/**
 * The JSON config file (`--config` / PDNS_PSSL_CONFIG): the schema's setting names, values coerced as on
 * the command line, flags over environment over file over defaults, unknown keys refused in one line
 * naming the file, and the D4 queues (objects in the file, `<type>:<uuid>@<url>` specs on the command
 * line) validated without ever echoing a Redis password.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { runCli } from "./helpers/cli.js";

describe("config file", () => {
  let dir = "";
  let n = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-config-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function file(content: unknown): Promise<string> {
    const path = join(dir, `config-${n++}.json`);
    await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  }

  function refusal(load: () => unknown): string {
    try {
      load();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      return message;
    }
    throw new Error("expected a ConfigError");
  }

  it("takes flags over environment over the file over defaults, coercing numbers and booleans", async () => {
    const config = await file({
      maxPageSize: 10,
      bulkMaxValues: 20,
      listen: 9090,
      trustProxy: true,
      retention: "30d",
    });
    expect(loadConfig({ config })).toMatchObject({
      maxPageSize: 10,
      bulkMaxValues: 20,
      listen: { host: "127.0.0.1", port: 9090 },
      trustProxy: true,
      retention: 30 * 86_400,
      origin: "pdns-pssl",
      d4Queues: [],
    });
    const env = { PDNS_PSSL_MAX_PAGE_SIZE: "11", PDNS_PSSL_BULK_MAX_VALUES: "21" };
    expect(loadConfig({ config, bulkMaxValues: "22" }, env)).toMatchObject({
      maxPageSize: 11,
      bulkMaxValues: 22,
    });
    // The file named by the environment, unless a flag names another.
    expect(loadConfig({}, { PDNS_PSSL_CONFIG: config })).toMatchObject({ maxPageSize: 10 });
    const other = await file({ maxPageSize: 12 });
    expect(loadConfig({ config: other }, { PDNS_PSSL_CONFIG: config })).toMatchObject({ maxPageSize: 12 });
  });

  it("refuses unknown keys, bad values, and unreadable files in one line naming the file", async () => {
    const flagName = await file({ "max-page-size": 5 });
    expect(refusal(() => loadConfig({ config: flagName }, {}))).toBe(
      `config file ${flagName}: unknown setting "max-page-size" (did you mean "maxPageSize"?)`,
    );
    const inherited = await file({ constructor: 1 });
    expect(refusal(() => loadConfig({ config: inherited }, {}))).toMatch(/unknown setting "constructor"$/);
    const bad = await file({ maxPageSize: 0 });
    expect(refusal(() => loadConfig({ config: bad }, {}))).toMatch(
      new RegExp(
        `^invalid maxPageSize in ${bad} \\(--max-page-size / PDNS_PSSL_MAX_PAGE_SIZE\\): .* \\(got "0"\\)$`,
      ),
    );
    // A flag or variable over the bad value is not the file's fault: it wins, the file's value is unused.
    expect(loadConfig({ config: bad, maxPageSize: "5" }, {})).toMatchObject({ maxPageSize: 5 });
    const nested = await file({ origin: { x: 1 } });
    expect(refusal(() => loadConfig({ config: nested }, {}))).toBe(
      `config file ${nested}: origin must be a string, a number or a boolean`,
    );
    expect(refusal(() => loadConfig({ config: join(dir, "absent.json") }, {}))).toMatch(
      /cannot be read \(ENOENT\)/,
    );
    const broken = await file("{");
    expect(refusal(() => loadConfig({ config: broken }, {}))).toMatch(
      new RegExp(`^config file ${broken}: not JSON`),
    );
    expect(refusal(() => loadConfig({ config: join(dir) }, {}))).toMatch(/^config file .*: cannot be read/);
  });

  it("reads D4 queues from the file and from specs, and never echoes their Redis password", async () => {
    const queues = [
      { redis: "redis://127.0.0.1:6380/2", queue: "4a1b-2c", type: 8, batchSize: "100" },
      { redis: "redis://:secret-pw@127.0.0.1:6380/3", queue: "5d6e", type: "ja3-jl", sensorId: "tap" },
    ];
    expect(loadConfig({ config: await file({ d4Queues: queues }) }, {}).d4Queues).toEqual([
      { redis: "redis://127.0.0.1:6380/2", queue: "4a1b-2c", type: "8", batchSize: 100 },
      { redis: "redis://:secret-pw@127.0.0.1:6380/3", queue: "5d6e", type: "ja3-jl", sensorId: "tap" },
    ]);
    expect(
      loadConfig({ d4Queues: "8:4a1b-2c@redis://127.0.0.1:6380/2  ja3-jl:5d6e@rediss://:pw@h:1/3" }, {})
        .d4Queues,
    ).toEqual([
      { redis: "redis://127.0.0.1:6380/2", queue: "4a1b-2c", type: "8" },
      { redis: "rediss://:pw@h:1/3", queue: "5d6e", type: "ja3-jl" },
    ]);
    const wrong = await file({ d4Queues: [{ ...queues[1], queue: "not/a/uuid" }] });
    const message = refusal(() => loadConfig({ config: wrong }, {}));
    expect(message).toMatch(`invalid d4Queues[0].queue in ${wrong}`);
    expect(message).not.toContain("secret-pw");
    const extra = await file({ d4Queues: [{ ...queues[0], password: "x" }] });
    expect(refusal(() => loadConfig({ config: extra }, {}))).toMatch(
      /invalid d4Queues\[0\] .*Unrecognized key: "password"/,
    );
    const twice = await file({ d4Queues: [queues[0], queues[0]] });
    expect(refusal(() => loadConfig({ config: twice }, {}))).toMatch(
      /queue 4a1b-2c \(type 8\) is listed twice/,
    );
    expect(refusal(() => loadConfig({}, { PDNS_PSSL_D4_QUEUES: "8:abc" }))).toMatch(
      /^invalid PDNS_PSSL_D4_QUEUES .*expected <type>:<queue uuid>@redis:/,
    );
  });

  it("stops the real CLI with exit code 2 and one line", async () => {
    const config = await file({ listen: "127.0.0.1:0", bogus: 1 });
    const result = await runCli(["serve", "--config", config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`pdns-pssl: config file ${config}: unknown setting "bogus"\n`);
    const spec = await runCli(["serve", "--d4-queue", "8:q@redis://h:1", "--d4-queue", "9:q@redis://h:1"]);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toMatch(
      /^pdns-pssl: invalid --d4-queue\[1\]\.type \(--d4-queue \/ PDNS_PSSL_D4_QUEUES\)/,
    );
  });
});
