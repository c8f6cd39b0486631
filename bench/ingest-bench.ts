/**
 * Ingest throughput and storage cost: the corpus goes through the real pipeline (openInput →
 * ingestPassiveDns) in this process, into a fresh embedded store or a fresh Redis.
 */
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { open } from "lmdb";
import { type IngestSummary, ingestPassiveDns } from "../src/ingest/ingest-passivedns.js";
import { openInput } from "../src/ingest/input.js";
import { DEFAULT_LAYOUT } from "../src/ingest/passivedns-parser.js";
import { ingestPassiveDnsPipelined } from "../src/ingest/pipelined-ingest.js";
import { openStore, type StoreSettings } from "../src/store/open-store.js";
import type { RedisServer } from "./redis-server.js";

/**
 * How the pipeline runs: all on one thread (`ingestPassiveDns`), or parsing on a worker thread while
 * the main thread writes (`ingestPassiveDnsPipelined`, what the CLI does on more than one core).
 */
export type IngestMode = "one thread" | "parse worker";

const INGESTERS = { "one thread": ingestPassiveDns, "parse worker": ingestPassiveDnsPipelined };

export interface IngestFigures {
  backend: "embedded" | "redis";
  mode: IngestMode;
  lines: number;
  seconds: number;
  /** Distinct records the store did not have before (all of them: the store starts empty). */
  records: number;
  rejected: number;
  /** Bytes the store grew by, as measured for this backend (see `storageNote`). */
  storageBytes: number;
  storageNote: string;
}

async function timedIngest(path: string, settings: StoreSettings, mode: IngestMode) {
  const store = await openStore(settings);
  try {
    const input = await openInput(path);
    const started = process.hrtime.bigint();
    const summary = await INGESTERS[mode](input.stream, store, {
      sensorId: "bench",
      layout: DEFAULT_LAYOUT,
    });
    return { summary, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await store.close();
  }
}

function rejectedLines(summary: IngestSummary): number {
  return Object.values(summary.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** Apparent size and allocated size (blocks × 512) of the files of a directory tree. */
export async function diskUsage(dir: string): Promise<{ apparent: number; allocated: number }> {
  const usage = { apparent: 0, allocated: 0 };
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const info = await stat(join(entry.parentPath, entry.name));
    usage.apparent += info.size;
    usage.allocated += info.blocks * 512;
  }
  return usage;
}

const MB = 1024 * 1024;

/**
 * The size of a compacted copy of the LMDB environment in `dataDir`: the pages its data needs, without
 * the pages that copy-on-write freed during the ingest (LMDB keeps those in the file for reuse).
 */
export async function compactedSize(dataDir: string): Promise<number> {
  const copyDir = `${dataDir}-compacted`;
  await rm(copyDir, { recursive: true, force: true });
  await mkdir(copyDir, { recursive: true });
  const root = open({ path: dataDir, maxDbs: 16, readOnly: true });
  try {
    await root.backup(copyDir, true);
  } finally {
    await root.close();
  }
  const { apparent } = await diskUsage(copyDir);
  await rm(copyDir, { recursive: true, force: true });
  return apparent;
}

/** Ingests `path` into a fresh embedded store in `dataDir` (removed first). */
export async function ingestEmbedded(
  path: string,
  dataDir: string,
  mode: IngestMode,
): Promise<IngestFigures> {
  await rm(dataDir, { recursive: true, force: true });
  const settings = { store: "embedded", dataDir, keyPrefix: "pp" };
  const { summary, seconds } = await timedIngest(path, settings, mode);
  const { apparent, allocated } = await diskUsage(dataDir);
  const compacted = await compactedSize(dataDir);
  // A sparse or preallocated file can make either figure the misleading one: the smaller is honest.
  const storageBytes = Math.min(apparent, allocated);
  const perRecord = (compacted / summary.created).toFixed(0);
  return {
    backend: "embedded",
    mode,
    lines: summary.lines,
    seconds,
    records: summary.created,
    rejected: rejectedLines(summary),
    storageBytes,
    storageNote:
      `files ${(apparent / MB).toFixed(1)} MB apparent, ${(allocated / MB).toFixed(1)} MB allocated; ` +
      `compacted copy ${(compacted / MB).toFixed(1)} MB (${perRecord} B/record): the rest is pages ` +
      "freed by copy-on-write, kept in the file for reuse",
  };
}

/** Ingests `path` into the emptied private Redis under `keyPrefix`, measuring `used_memory` around it. */
export async function ingestRedis(
  path: string,
  redis: RedisServer,
  keyPrefix: string,
  mode: IngestMode,
): Promise<IngestFigures> {
  await redis.flushAll();
  const before = await redis.usedMemory();
  const { summary, seconds } = await timedIngest(path, { store: redis.url, dataDir: "", keyPrefix }, mode);
  const after = await redis.usedMemory();
  return {
    backend: "redis",
    mode,
    lines: summary.lines,
    seconds,
    records: summary.created,
    rejected: rejectedLines(summary),
    storageBytes: after - before,
    storageNote: `used_memory ${(before / MB).toFixed(1)} → ${(after / MB).toFixed(1)} MB`,
  };
}
