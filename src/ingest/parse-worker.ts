/**
 * Worker thread of a pipelined ingest: turns the byte chunks the main thread forwards into encoded
 * batches (passive DNS or TLS) and sends them back packed; the main thread writes them.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SensorNumberCache } from "../pdns/observation-batch.js";
import { emptyTlsSummary, tlsBatches } from "./ingest-tls.js";
import { emptySummary, type IngestProgress, passiveDnsBatches } from "./passivedns-batches.js";
import type { FromParseWorker, PipelineSetup, ToParseWorker } from "./pipelined-ingest.js";
import { packSetWriteBatch, packWriteBatch } from "./write-batch-transfer.js";

const port = parentPort;
if (!port) throw new Error("parse-worker must run in a worker thread");
const setup = workerData as PipelineSetup;
const send = (message: FromParseWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

const chunks: Array<ArrayBuffer | null> = [];
let acknowledged = 0;
let answerSensorNumbers: ((numbers: Map<string, number>) => void) | undefined;
let wake: (() => void) | undefined;
const waitForMessage = () => new Promise<void>((resolve) => (wake = resolve));

port.on("message", (message: ToParseWorker) => {
  if (message.kind === "chunk") chunks.push(message.bytes);
  else if (message.kind === "end") chunks.push(null);
  else if (message.kind === "written") acknowledged++;
  else answerSensorNumbers?.(new Map(message.numbers));
  wake?.();
});

const progress: IngestProgress = { lines: 0, bytes: 0, rejected: 0 };
let lastProgress = 0;

async function* input(): AsyncGenerator<Buffer> {
  for (;;) {
    while (chunks.length === 0) await waitForMessage();
    const bytes = chunks.shift();
    if (!bytes) return;
    send({ kind: "taken" });
    yield Buffer.from(bytes);
    const now = Date.now();
    if (now - lastProgress >= 100) {
      lastProgress = now;
      send({ kind: "progress", lines: progress.lines, rejected: progress.rejected });
    }
  }
}

const sensorNumbers = new SensorNumberCache(
  (ids) =>
    new Promise((resolve) => {
      answerSensorNumbers = resolve;
      send({ kind: "need-sensor-numbers", ids });
    }),
);

async function* packed(): AsyncGenerator<ArrayBuffer> {
  if (setup.kind === "passivedns") {
    for await (const batch of passiveDnsBatches(input(), setup.options, sensorNumbers, summary, progress)) {
      yield packWriteBatch(batch);
    }
  } else {
    for await (const batch of tlsBatches(input(), setup.options, sensorNumbers, tlsSummary, progress)) {
      yield packSetWriteBatch(batch);
    }
  }
}

const summary = emptySummary();
const tlsSummary = emptyTlsSummary();
/** Batches sent and not yet taken up for writing; beyond this the worker waits (bounded memory). */
const AHEAD = 2;
let sent = 0;
for await (const batch of packed()) {
  while (sent - acknowledged >= AHEAD) await waitForMessage();
  send({ kind: "batch", packed: batch }, [batch]);
  sent++;
}
send({ kind: "done", summary: setup.kind === "passivedns" ? summary : tlsSummary });
