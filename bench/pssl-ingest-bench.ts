/**
 * Passive SSL ingest throughput and storage cost: the ja3-jl corpus goes through the real pipeline
 * (openInput → ingestTls or ingestTlsPipelined) in this process, into a fresh embedded store or a fresh
 * Redis, and the store is then measured whole and in two parts: the certificates and the sightings.
 */
import { rm, stat } from "node:fs/promises";
import { open } from "lmdb";
import { ingestTls, type TlsIngestSummary } from "../src/ingest/ingest-tls.js";
import { openInput } from "../src/ingest/input.js";
import { ingestTlsPipelined } from "../src/ingest/pipelined-ingest.js";
import { openStore, type StoreSettings } from "../src/store/open-store.js";
import { SPACE_TAGS } from "../src/store/set-layout.js";
import { compactedSize, diskUsage, type IngestMode } from "./ingest-bench.js";
import type { RedisServer } from "./redis-server.js";
import type { Backend } from "./report.js";

const INGESTERS = { "one thread": ingestTls, "parse worker": ingestTlsPipelined };

/**
 * What a store holds after the ingest, in bytes: all of it (`total`, and for the embedded store the
 * file besides its compacted copy), the blobs (certificate documents, their SHA-256 index and the
 * JA3/JA3S strings) and the sets (sightings and the indexes over them).
 */
export interface TlsStorage {
  /** The embedded store's files (the smaller of apparent and allocated size); undefined for Redis. */
  file: number | undefined;
  /** Compacted copy of the embedded store; Redis: used_memory after minus before. */
  total: number;
  blobs: number;
  sets: number;
  /** How the whole was measured, for the report. */
  note: string;
}

export interface TlsIngestFigures {
  backend: Backend;
  mode: IngestMode;
  sessions: number;
  /** Bytes of the input file. */
  bytes: number;
  seconds: number;
  /** Distinct certificates parsed from DER. */
  certificates: number;
  rejected: number;
  /** Measured after the CLI's pipeline only (the other leaves the same data). */
  storage: TlsStorage | undefined;
}

async function timedIngest(path: string, settings: StoreSettings, mode: IngestMode) {
  const store = await openStore(settings);
  try {
    const input = await openInput(path);
    const started = process.hrtime.bigint();
    const summary: TlsIngestSummary = await INGESTERS[mode](input.stream, store, {
      format: "ja3-jl",
      sensorId: "bench",
    });
    return { summary, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await store.close();
  }
}

function figuresOf(
  backend: Backend,
  mode: IngestMode,
  bytes: number,
  { summary, seconds }: Awaited<ReturnType<typeof timedIngest>>,
): Omit<TlsIngestFigures, "storage"> {
  const rejected = Object.values(summary.rejected).reduce((sum, n) => sum + (n ?? 0), 0);
  return {
    backend,
    mode,
    sessions: summary.sessions,
    bytes,
    seconds,
    certificates: summary.certificates,
    rejected,
  };
}

const MB = 1024 * 1024;

interface DbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

/**
 * Pages of the `blobs` and `sets` sub-databases (LMDB's own statistics: the pages each B-tree uses,
 * overflow pages of large values included), and the number of ip-certs entries, checked against the
 * corpus.
 */
function lmdbParts(dataDir: string): { blobs: number; sets: number; ipCerts: number } {
  const root = open({ path: dataDir, maxDbs: 16, readOnly: true });
  try {
    const bytes = (name: string) => {
      const stats = root.openDB({ name, keyEncoding: "binary", encoding: "binary" }).getStats() as DbStats;
      return (stats.treeBranchPageCount + stats.treeLeafPageCount + stats.overflowPages) * stats.pageSize;
    };
    const sets = root.openDB({ name: "sets", keyEncoding: "binary", encoding: "binary" });
    const tag = SPACE_TAGS["ip-certs"];
    const ipCerts = sets.getKeysCount({ start: Buffer.from([tag]), end: Buffer.from([tag + 1]) });
    return { blobs: bytes("blobs"), sets: bytes("sets"), ipCerts };
  } finally {
    root.close();
  }
}

/** Ingests `path` into a fresh embedded store in `dataDir` (removed first). */
export async function ingestTlsEmbedded(
  path: string,
  dataDir: string,
  mode: IngestMode,
  expectedSightings: number,
): Promise<TlsIngestFigures> {
  await rm(dataDir, { recursive: true, force: true });
  const { size: bytes } = await stat(path);
  const run = await timedIngest(path, { store: "embedded", dataDir, keyPrefix: "pp" }, mode);
  const figures = figuresOf("embedded", mode, bytes, run);
  if (mode !== "parse worker") return { ...figures, storage: undefined };
  const { apparent, allocated } = await diskUsage(dataDir);
  const total = await compactedSize(dataDir);
  const parts = lmdbParts(dataDir);
  if (parts.ipCerts !== expectedSightings) {
    throw new Error(`the store holds ${parts.ipCerts} ip-certs sightings, the corpus ${expectedSightings}`);
  }
  return {
    ...figures,
    storage: {
      // A sparse or preallocated file can make either figure the misleading one: the smaller is honest.
      file: Math.min(apparent, allocated),
      total,
      blobs: parts.blobs,
      sets: parts.sets,
      note: `${(apparent / MB).toFixed(1)} MB apparent, ${(allocated / MB).toFixed(1)} MB allocated`,
    },
  };
}

/** Ingests `path` into the emptied private Redis under `keyPrefix`, measuring `used_memory` around it. */
export async function ingestTlsRedis(
  path: string,
  redis: RedisServer,
  keyPrefix: string,
  mode: IngestMode,
): Promise<TlsIngestFigures> {
  await redis.flushAll();
  const before = await redis.usedMemory();
  const { size: bytes } = await stat(path);
  const run = await timedIngest(path, { store: redis.url, dataDir: "", keyPrefix }, mode);
  const after = await redis.usedMemory();
  const figures = figuresOf("redis", mode, bytes, run);
  if (mode !== "parse worker") return { ...figures, storage: undefined };
  const blobs = await redis.keyMemory(`${keyPrefix}:b:*`);
  return {
    ...figures,
    storage: {
      file: undefined,
      total: after - before,
      blobs: blobs.bytes,
      sets: after - before - blobs.bytes,
      note: `${(before / MB).toFixed(1)} → ${(after / MB).toFixed(1)} MB; ${blobs.keys} \`b:\` keys`,
    },
  };
}
