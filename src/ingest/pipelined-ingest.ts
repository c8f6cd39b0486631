/**
 * Ingest on two cores: a worker thread parses and encodes batches (passive DNS or TLS) while the main
 * thread writes the previous batch to the store. (Writes to one store serialise, so splitting the input
 * among several writers would not help; overlapping parsing with writing does.)
 */
import { SensorNumberCache } from "../pdns/observation-batch.js";
import { startWorker } from "../runtime/start-worker.js";
import type { SetWriteBatch, Store } from "../store/types.js";
import { type IngestOptions, writeBatches, writeRecordsInto } from "./ingest-passivedns.js";
import type { TlsIngestOptions, TlsIngestSummary } from "./ingest-tls.js";
import {
  type BatchOptions,
  emptySummary,
  type IngestProgress,
  type IngestSummary,
} from "./passivedns-batches.js";
import { unpackSetWriteBatch, unpackWriteBatch } from "./write-batch-transfer.js";

export type PipelineSetup =
  | { kind: "passivedns"; options: BatchOptions }
  | { kind: "tls"; options: Omit<TlsIngestOptions, "onProgress"> };

export type ToParseWorker =
  | { kind: "chunk"; bytes: ArrayBuffer }
  | { kind: "end" }
  | { kind: "written" }
  | { kind: "sensor-numbers"; numbers: Array<[string, number]> };

export type FromParseWorker =
  | { kind: "taken" }
  | { kind: "batch"; packed: ArrayBuffer }
  | { kind: "need-sensor-numbers"; ids: string[] }
  | { kind: "progress"; lines: number; rejected: number }
  | { kind: "done"; summary: IngestSummary | TlsIngestSummary };

/**
 * Input bytes forwarded and not yet parsed. The main thread cannot forward anything while it is inside a
 * (synchronous) store write, so the worker needs more than a batch's worth of input queued to keep going.
 */
const BYTES_AHEAD = 32 << 20;

// Under tsx (development, tests) this module is TypeScript and so is its worker.
const workerUrl = new URL(
  import.meta.url.endsWith(".ts") ? "./parse-worker.ts" : "./parse-worker.js",
  import.meta.url,
);

/** Batches as they arrive from the worker, for writeBatches to consume in order. */
class BatchQueue<B> implements AsyncIterable<B> {
  #items: B[] = [];
  #ended = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;

  push(batch: B) {
    this.#items.push(batch);
    this.#wake?.();
  }
  end() {
    this.#ended = true;
    this.#wake?.();
  }
  fail(error: Error) {
    this.#failure = error;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this.#failure) throw this.#failure;
      const next = this.#items.shift();
      if (next) yield next;
      else if (this.#ended) return;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/**
 * Runs a worker on `setup`, forwards `input` to it, and writes the batches it sends back, in order, one
 * write in flight. Resolves with the worker's summary.
 */
async function runPipeline<B>(
  setup: PipelineSetup,
  input: AsyncIterable<Buffer>,
  store: Store,
  unpack: (packed: ArrayBuffer) => B,
  write: (batch: B) => Promise<void>,
  onProgress: ((progress: IngestProgress) => void) | undefined,
): Promise<IngestSummary | TlsIngestSummary> {
  const worker = startWorker(workerUrl, { workerData: setup });
  const post = (message: ToParseWorker, transfer: ArrayBuffer[] = []) =>
    worker.postMessage(message, transfer);
  const progress: IngestProgress = { lines: 0, bytes: 0, rejected: 0 };
  const batches = new BatchQueue<B>();
  const sensorNumbers = new SensorNumberCache((ids) => store.sensorNumbers(ids));
  let summary: IngestSummary | TlsIngestSummary | undefined;
  let bytesAhead = 0;
  const queuedSizes: number[] = [];
  let wakeReader: (() => void) | undefined;
  let failure: Error | undefined;

  worker.on("message", (message: FromParseWorker) => {
    switch (message.kind) {
      case "taken":
        bytesAhead -= queuedSizes.shift() ?? 0;
        wakeReader?.();
        break;
      case "batch":
        batches.push(unpack(message.packed));
        break;
      case "need-sensor-numbers":
        sensorNumbers.resolve(message.ids).then(
          (numbers) =>
            post({
              kind: "sensor-numbers",
              numbers: message.ids.map((id) => [id, numbers.get(id) as number]),
            }),
          (error: Error) => batches.fail(error),
        );
        break;
      case "progress":
        progress.lines = message.lines;
        progress.rejected = message.rejected;
        onProgress?.(progress);
        break;
      case "done":
        summary = message.summary;
        batches.end();
        break;
    }
  });
  const stop = (error: Error) => {
    failure = error;
    wakeReader?.();
    batches.fail(error);
  };
  worker.once("error", stop);
  worker.once("exit", (code) => {
    if (!summary) stop(new Error(`parse worker exited with code ${code}`));
  });

  const feeding = (async () => {
    for await (const chunk of input) {
      progress.bytes += chunk.length;
      while (bytesAhead >= BYTES_AHEAD && !failure)
        await new Promise<void>((resolve) => (wakeReader = resolve));
      if (failure) return;
      // A fresh ArrayBuffer to transfer: stream chunks may share a pooled one with other buffers.
      const bytes = new ArrayBuffer(chunk.length);
      new Uint8Array(bytes).set(chunk);
      bytesAhead += chunk.length;
      queuedSizes.push(chunk.length);
      post({ kind: "chunk", bytes }, [bytes]);
    }
    post({ kind: "end" });
  })();
  feeding.catch(stop);

  try {
    await writeBatches(batches, write, () => post({ kind: "written" }));
    await feeding;
  } finally {
    await worker.terminate();
  }
  if (!summary) throw failure ?? new Error("parse worker ended without a summary");
  progress.lines = summary.lines;
  onProgress?.(progress);
  return summary;
}

export async function ingestPassiveDnsPipelined(
  input: AsyncIterable<Buffer>,
  store: Store,
  options: IngestOptions,
): Promise<IngestSummary> {
  const { onProgress, ...batchOptions } = options;
  const written = emptySummary();
  const setup: PipelineSetup = { kind: "passivedns", options: batchOptions };
  const summary = (await runPipeline(
    setup,
    input,
    store,
    unpackWriteBatch,
    writeRecordsInto(store, written),
    onProgress,
  )) as IngestSummary;
  summary.created = written.created;
  if (written.rejected.hash_collision) summary.rejected.hash_collision = written.rejected.hash_collision;
  return summary;
}

export async function ingestTlsPipelined(
  input: AsyncIterable<Buffer>,
  store: Store,
  options: TlsIngestOptions,
): Promise<TlsIngestSummary> {
  const { onProgress, ...tlsOptions } = options;
  const setup: PipelineSetup = { kind: "tls", options: tlsOptions };
  const write = (batch: SetWriteBatch) => store.writeSets(batch);
  return (await runPipeline(setup, input, store, unpackSetWriteBatch, write, onProgress)) as TlsIngestSummary;
}
