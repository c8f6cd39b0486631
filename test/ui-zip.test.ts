/**
 * The zip the sensor page builds in the browser (ui/src/lib/zip.ts, d4-client.ts): read back by an
 * independent reader written here from the APPNOTE offsets, with node:zlib's CRC-32; then, where they
 * are installed, by Python's zipfile (test, extract, flags and attributes) and Info-ZIP's unzip (which
 * must restore the key file's 0600). The client folder in the zip is the one `pdns-pssl sensors add`
 * writes, file for file.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d4ClientFiles, d4ClientZip, d4FolderName, validDestination } from "../ui/src/lib/d4-client.js";
import { crc32, dosDateTime, type ZipEntry, zip } from "../ui/src/lib/zip.js";
import { runCli } from "./helpers/cli.js";
import { readZip } from "./helpers/zip-reader.js";

describe("zip.ts", () => {
  it("computes CRC-32 as zlib does, whole and in pieces", () => {
    for (const size of [0, 1, 7, 255, 4096, 100_003]) {
      const data = randomBytes(size);
      expect(crc32(data)).toBe(zlibCrc32(data));
      const cut = Math.floor(size / 3);
      expect(crc32(data.subarray(cut), crc32(data.subarray(0, cut)))).toBe(zlibCrc32(data));
    }
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  it("keeps times in MS-DOS form, clamped to what it can hold", () => {
    const [time, date] = dosDateTime(new Date(2025, 4, 17, 13, 45, 59));
    expect([time >> 11, (time >> 5) & 63, (time & 31) * 2]).toEqual([13, 45, 58]);
    expect([(date >> 9) + 1980, (date >> 5) & 15, date & 31]).toEqual([2025, 5, 17]);
    expect(dosDateTime(new Date(1970, 0, 1))).toEqual([0, 33]);
  });

  it("writes stored entries with local headers, a central directory and an end record", () => {
    const when = new Date(2024, 1, 29, 23, 59, 30);
    const binary = randomBytes(70_000);
    const entries: ZipEntry[] = [
      { name: "dir/" },
      { name: "dir/plain.txt", data: "hello\n" },
      { name: "dir/secret", data: "s3cret\n", mode: 0o600 },
      { name: "dir/données-ünïcode.json", data: '{"ok":true}' },
      { name: "dir/binary.bin", data: binary, mode: 0o755 },
      { name: "empty", data: "" },
    ];
    const bytes = Buffer.from(zip(entries, when));
    const read = readZip(bytes);
    expect(read.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    for (const entry of read) {
      expect(entry.method).toBe(0);
      expect(entry.flags).toBe(0x0800);
      expect(entry.madeBy >> 8).toBe(3);
      expect(entry.needed).toBe(20);
      expect(entry.time).toBe(dosDateTime(when)[0]);
      expect(entry.date).toBe(dosDateTime(when)[1]);
    }
    const byName = new Map(read.map((e) => [e.name, e]));
    expect(byName.get("dir/")).toMatchObject({ size: 0, mode: 0o40755, dosAttributes: 0x10 });
    expect(byName.get("dir/plain.txt")?.data.toString()).toBe("hello\n");
    expect(byName.get("dir/plain.txt")?.mode).toBe(0o100644);
    expect(byName.get("dir/secret")?.mode).toBe(0o100600);
    expect(byName.get("dir/binary.bin")?.data.equals(binary)).toBe(true);
    expect(byName.get("dir/binary.bin")?.mode).toBe(0o100755);
    expect(byName.get("dir/données-ünïcode.json")?.data.toString()).toBe('{"ok":true}');
    expect(byName.get("empty")?.size).toBe(0);
  });

  it("writes an empty archive as just the end record", () => {
    const bytes = Buffer.from(zip([]));
    expect(bytes.length).toBe(22);
    expect(readZip(bytes)).toEqual([]);
  });

  it("refuses names that would leave the folder and folders with data", () => {
    expect(() => zip([{ name: "../evil", data: "x" }])).toThrow(RangeError);
    expect(() => zip([{ name: "/etc/passwd", data: "x" }])).toThrow(RangeError);
    expect(() => zip([{ name: "" }])).toThrow(RangeError);
    expect(() => zip([{ name: "a/", data: "x" }])).toThrow(RangeError);
  });
});

describe("the D4 client folder in a zip", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-ui-zip-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("holds the files `pdns-pssl sensors add` writes, with the same contents and modes", async () => {
    for (const type of ["8", "ja3-jl"] as const) {
      const folder = join(dir, `cli-${type}`);
      const env = { PDNS_PSSL_DATA_DIR: join(dir, "data"), PDNS_PSSL_STORE: "embedded" };
      const added = await runCli(
        ["sensors", "add", "--type", type, "--destination", "d4.example.org:4443", "--out", folder],
        env,
      );
      expect(added.code, added.stderr).toBe(0);
      const uuid = added.stdout.trim();
      const key = (await readFile(join(folder, "key"), "utf8")).trim();
      const ours = d4ClientFiles({ uuid, key }, type, "d4.example.org:4443");
      expect(ours.map((f) => f.name).sort()).toEqual((await readdir(folder)).sort());
      for (const file of ours) {
        expect(file.content, file.name).toBe(await readFile(join(folder, file.name), "utf8"));
        expect(file.mode, file.name).toBe((await stat(join(folder, file.name))).mode & 0o777);
      }
    }
  }, 30_000);

  it("zips them under d4-sensor-<uuid>/", () => {
    const uuid = randomUUID();
    const read = readZip(
      Buffer.from(d4ClientZip({ uuid, key: "k".repeat(32) }, "ja3-jl", "[2001:db8::1]:4443")),
    );
    const folder = `${d4FolderName(uuid)}/`;
    expect(read.map((e) => e.name)).toEqual(
      ["", "uuid", "key", "destination", "type", "version", "source", "snaplen", "metaheader.json"].map(
        (name) => `${folder}${name}`,
      ),
    );
    const text = (name: string) => read.find((e) => e.name === `${folder}${name}`)?.data.toString();
    expect(text("uuid")).toBe(`${uuid}\n`);
    expect(text("destination")).toBe("[2001:db8::1]:4443\n");
    expect(text("type")).toBe("254\n");
    expect(read.find((e) => e.name.endsWith("/key"))?.mode).toBe(0o100600);
  });

  it("takes host:port destinations only", () => {
    for (const good of ["127.0.0.1:4443", "d4.example.org:4443", "[::1]:4443", "localhost:1"])
      expect(validDestination(good), good).toBe(true);
    for (const bad of ["", "d4.example.org", ":4443", "host:0", "host:65536", "a b:1", "http://x:1"])
      expect(validDestination(bad), bad).toBe(false);
  });
});

const python = spawnSync("python3", ["--version"]).status === 0;
const unzip = spawnSync("unzip", ["-v"]).status === 0;
if (!python)
  console.warn("\n!!! python3 is not installed: the zipfile cross-check of zip.ts is SKIPPED !!!\n");
if (!unzip)
  console.warn("\n!!! unzip is not installed: the permission cross-check of zip.ts is SKIPPED !!!\n");

describe("other zip readers", () => {
  let dir = "";
  let file = "";
  const uuid = randomUUID();
  const key = randomBytes(24).toString("base64url");
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-ui-zip-readers-"));
    file = join(dir, "sensor.zip");
    await writeFile(file, d4ClientZip({ uuid, key }, "8", "d4.example.org:4443"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it.skipIf(!python)("Python's zipfile tests, lists and extracts it", async () => {
    expect(execFileSync("python3", ["-m", "zipfile", "-t", file], { encoding: "utf8" })).toMatch(
      /Done testing/,
    );
    const out = join(dir, "python");
    execFileSync("python3", ["-m", "zipfile", "-e", file, out]);
    const folder = join(out, d4FolderName(uuid));
    expect(await readFile(join(folder, "key"), "utf8")).toBe(`${key}\n`);
    expect(await readFile(join(folder, "uuid"), "utf8")).toBe(`${uuid}\n`);
    const listing = execFileSync(
      "python3",
      [
        "-c",
        "import sys, zipfile\n" +
          "for i in zipfile.ZipFile(sys.argv[1]).infolist():\n" +
          "    print(i.filename, i.create_system, oct(i.external_attr >> 16), i.flag_bits & 0x800, i.compress_type, i.CRC)",
        file,
      ],
      { encoding: "utf8" },
    );
    const lines = listing.trim().split("\n");
    expect(lines).toHaveLength(8);
    expect(lines).toContain(`${d4FolderName(uuid)}/ 3 0o40755 2048 0 0`);
    expect(lines.find((l) => l.startsWith(`${d4FolderName(uuid)}/key `))).toMatch(/ 3 0o100600 2048 0 \d+$/);
  });

  it.skipIf(!unzip)("unzip extracts it cleanly and gives the key file mode 0600", async () => {
    const out = join(dir, "unzip");
    const result = spawnSync("unzip", ["-q", file, "-d", out], { encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const folder = join(out, d4FolderName(uuid));
    expect((await stat(join(folder, "key"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(folder, "destination"))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(folder, "destination"), "utf8")).toBe("d4.example.org:4443\n");
    expect(spawnSync("unzip", ["-tq", file], { encoding: "utf8" }).stdout).toMatch(/No errors detected/);
  });
});
