/**
 * What the fault-injection suites share: a real `pdns-pssl serve` child process (one process, so a
 * SIGKILL hits the process that writes), users and tokens made through the real account code, passive
 * DNS lines to ingest, streamed request bodies, and the record counts the query API answers.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { Accounts } from "../../src/auth/accounts.js";
import { openStore, type StoreSettings } from "../../src/store/open-store.js";
import { basic, parseNdjsonStrict } from "../helpers/http.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Polls `probe` until it answers something other than undefined; fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Authorization header values of a sensor and two analysts of the store. */
export interface Credentials {
  sensor: string;
  /** An analyst with a (large) daily quota: each of their queries also writes a counter. */
  analyst: string;
  /** An analyst without a quota: their queries only read (and are audited). */
  unmetered: string;
}

/**
 * Adds a sensor (`probe`) and two analysts (`alice`, with a quota, and `bob`) with a token each, as
 * `users add`, `quotas set` and `tokens create` do.
 */
export async function addUsers(settings: StoreSettings): Promise<Credentials> {
  const store = await openStore(settings);
  try {
    const accounts = new Accounts(store);
    await accounts.addUser("probe", "sensor");
    await accounts.addUser("alice", "analyst");
    await accounts.setQuota("alice", { daily: 1_000_000 });
    await accounts.addUser("bob", "analyst");
    return {
      sensor: basic("probe", (await accounts.createToken("probe")).token),
      analyst: basic("alice", (await accounts.createToken("alice")).token),
      unmetered: basic("bob", (await accounts.createToken("bob")).token),
    };
  } finally {
    await store.close();
  }
}

/** A `pdns-pssl serve` child process, listening on a loopback port of its choosing. */
export interface ServeChild {
  base: string;
  process: ChildProcess;
  /** Everything it logged so far (JSON lines). */
  log(): string;
  /** Whether it is still running. */
  running(): boolean;
  /** What it logged above info level, and anything not a log line (a crash): the last 30 lines. */
  problems(): string;
  /** Sends `signal` (SIGKILL by default) and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `pdns-pssl serve <args> --listen 127.0.0.1:0 --workers 1` from source (tsx) and waits until it
 * listens. One process, not a primary with workers: a signal reaches the process that serves and writes.
 */
export async function startServe(args: string[]): Promise<ServeChild> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/cli.ts", "serve", ...args, "--listen", "127.0.0.1:0", "--workers", "1"],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, "exit");
  const base = await waitFor(
    "the server to listen",
    async () => {
      if (child.exitCode !== null) throw new Error(`serve exited (${child.exitCode}): ${stderr}`);
      return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
    },
    30_000,
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    base,
    process: child,
    log: () => stderr,
    running,
    problems: () =>
      stderr
        .split("\n")
        .filter((line) => line !== "" && !line.startsWith('{"level":"info"'))
        .slice(-30)
        .join("\n"),
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (!running()) return;
      child.kill(signal);
      await exited;
    },
  };
}

/**
 * `count` passive DNS lines (text layout), A records of `name`, each with its own address (10.a.b.c for
 * a line number `from + i`): `count` distinct records.
 */
export function passiveDnsLines(name: string, count: number, from = 0): string {
  let text = "";
  for (let i = from; i < from + count; i++) {
    text += `1700000000.1||10.0.0.1||10.0.0.2||IN||${name}.||A||10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}||60||1\n`;
  }
  return text;
}

/**
 * A request body streamed chunk by chunk: each chunk is taken (awaited) when the previous one was sent,
 * so a test can pace the body or hold it open.
 */
export function streamedBody(chunks: AsyncIterable<string> | Iterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = (async function* () {
    yield* chunks;
  })();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
}

/** How an ingest request ended: an answer (status and JSON body), or the connection lost before one. */
export interface IngestOutcome {
  status: number | "connection lost";
  body: Record<string, unknown> | undefined;
  ms: number;
}

/** POSTs passive DNS text (a string or a stream) to /ingest/passivedns. */
export async function postPassiveDns(
  base: string,
  authorization: string,
  body: string | ReadableStream<Uint8Array>,
): Promise<IngestOutcome> {
  const started = Date.now();
  try {
    const response = await fetch(`${base}/ingest/passivedns`, {
      method: "POST",
      headers: { authorization },
      body,
      ...(typeof body === "string" ? {} : { duplex: "half" }),
    } as RequestInit);
    const text = await response.text();
    return { status: response.status, body: parseJson(text), ms: Date.now() - started };
  } catch {
    return { status: "connection lost", body: undefined, ms: Date.now() - started };
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The body of a `507` answer: the store has no room left. */
export const STORE_FULL = {
  code: "store_full",
  message: "the store has no space left; nothing more can be written",
};

/**
 * POSTs `lines` passive DNS records a request, each under a name of its own (`<prefix><n>.<domain>`),
 * until one is refused (at most 100): the names acknowledged, and the refused request.
 */
export async function ingestUntilRefused(
  base: string,
  authorization: string,
  names: (n: number) => string,
  lines: number,
): Promise<{ acknowledged: string[]; refused: (IngestOutcome & { name: string }) | undefined }> {
  const acknowledged: string[] = [];
  for (let n = 0; n < 100; n++) {
    const name = names(n);
    const outcome = await postPassiveDns(base, authorization, passiveDnsLines(name, lines));
    if (outcome.status !== 200) return { acknowledged, refused: { ...outcome, name } };
    acknowledged.push(name);
  }
  return { acknowledged, refused: undefined };
}

/** A GET answered: status, JSON body when it is one (first line of NDJSON), and how long it took. */
export interface Answer {
  path: string;
  status: number | "connection lost";
  body: Record<string, unknown> | undefined;
  text: string;
  started: number;
  ms: number;
}

export async function get(base: string, path: string, authorization: string): Promise<Answer> {
  const started = Date.now();
  try {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    const first = text.split("\n", 1)[0] ?? "";
    return { path, status: response.status, body: parseJson(first), text, started, ms: Date.now() - started };
  } catch {
    return { path, status: "connection lost", body: undefined, text: "", started, ms: Date.now() - started };
  }
}

/** The distinct records /pdns/query answers for `name` (rdata values), failing on anything but 200. */
export async function recordsOf(base: string, authorization: string, name: string): Promise<Set<string>> {
  const answer = await get(base, `/pdns/query/${name}`, authorization);
  if (answer.status !== 200) throw new Error(`/pdns/query/${name}: ${answer.status} ${answer.text}`);
  return new Set(parseNdjsonStrict(answer.text).map((record) => String(record.rdata)));
}

/** The p-th percentile (0..100) of some numbers. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
