import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openInput } from "../src/ingest/input.js";

let dir = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pdns-input-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe("openInput", () => {
  const sample = new URL("../../shared/samples/passivedns.txt", import.meta.url);

  it("reads a plain file and gives its size", async () => {
    const expected = await readFile(sample);
    const { stream, sizeBytes } = await openInput(sample.pathname);
    expect(sizeBytes).toBe(expected.length);
    expect((await readAll(stream)).equals(expected)).toBe(true);
  });

  it("gunzips a gzip file whatever its name, and gives the compressed size", async () => {
    const expected = await readFile(sample);
    const compressed = gzipSync(expected);
    const path = join(dir, "passivedns.log");
    await writeFile(path, compressed);
    const { stream, sizeBytes } = await openInput(path);
    expect(sizeBytes).toBe(compressed.length);
    expect((await readAll(stream)).equals(expected)).toBe(true);
  });

  it("gunzips concatenated gzip members", async () => {
    const path = join(dir, "two-members.gz");
    await writeFile(path, Buffer.concat([gzipSync("first\n"), gzipSync("second\n")]));
    const { stream } = await openInput(path);
    expect((await readAll(stream)).toString()).toBe("first\nsecond\n");
  });

  it("does not mistake a file starting with other bytes, or a tiny file, for gzip", async () => {
    const path = join(dir, "looks.gz");
    await writeFile(path, "1795666358.860205||127.0.0.1\n");
    expect((await readAll((await openInput(path)).stream)).toString()).toBe("1795666358.860205||127.0.0.1\n");
    const one = join(dir, "one-byte");
    await writeFile(one, Buffer.from([0x1f]));
    expect([...(await readAll((await openInput(one)).stream))]).toEqual([0x1f]);
    const empty = join(dir, "empty");
    await writeFile(empty, "");
    expect((await readAll((await openInput(empty)).stream)).length).toBe(0);
  });

  it("fails on corrupt gzip data while reading", async () => {
    const path = join(dir, "corrupt.gz");
    const good = gzipSync(Buffer.alloc(10000, "a"));
    await writeFile(path, Buffer.concat([good.subarray(0, 20), Buffer.alloc(40, 0xff)]));
    const { stream } = await openInput(path);
    await expect(readAll(stream)).rejects.toThrow();
  });

  it("reads stdin for '-', gunzipping it when it is gzip", () => {
    const module = new URL("../src/ingest/input.ts", import.meta.url).href;
    const script = `
      const { openInput } = await import(${JSON.stringify(module)});
      const { stream, sizeBytes } = await openInput("-");
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      process.stdout.write(JSON.stringify({ sizeBytes: sizeBytes ?? null, text: Buffer.concat(chunks).toString() }));
    `;
    const run = (input: Buffer) => {
      const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        input,
      });
      expect(child.stderr.toString()).toBe("");
      return JSON.parse(child.stdout.toString()) as { sizeBytes: number | null; text: string };
    };
    expect(run(gzipSync("zipped\n"))).toEqual({ sizeBytes: null, text: "zipped\n" });
    expect(run(Buffer.from("plain\n"))).toEqual({ sizeBytes: null, text: "plain\n" });
  });

  it("says clearly when the file is missing or a directory", async () => {
    await expect(openInput(join(dir, "missing.log"))).rejects.toThrow(/input file not found: .*missing\.log/);
    await expect(openInput(dir)).rejects.toThrow(/directory/);
  });
});
