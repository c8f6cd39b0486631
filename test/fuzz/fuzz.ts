/**
 * Property and fuzz tests (fast-check) for every parser that reads outside input: passivedns lines
 * (text layouts and JSON), ja3-jl, Suricata EVE, the line reader (chunk boundaries, overlong lines,
 * gzip), D4 packets and sessions, IP / CIDR / name / wildcard query values, DNSDB paths and parameters,
 * cursors, credentials and JWTs, and one end-to-end property on both store backends (names built to
 * reach another key). `*.fuzz.test.ts` next to this file hold the properties; this module holds what
 * they share: run counts, time limits, generators of nasty text and the corpus of nasty inputs.
 *
 * Run counts. Every property declares its cost as a weight; it runs `weight × base` times, where the
 * base is 100 by default (the whole fuzz suite then takes well under 40 s on two busy cores) and
 * `FUZZ_RUNS=<n>` raises it for long runs, e.g. `FUZZ_RUNS=20000 npx vitest run test/fuzz`. With
 * FUZZ_RUNS set the per-property time budget is lifted and test timeouts grow with the base.
 * `FUZZ_SEED=<n>` replays one seed (fast-check prints the seed and the path of every failure; pass
 * them as FUZZ_SEED and FUZZ_PATH to replay exactly that case).
 *
 * Hangs. Inputs are bounded (lines of at most a few KB, streams of at most a few hundred KB), every
 * parser call is timed (`timed`: a call over MAX_CALL_MS fails the property, which catches
 * super-linear backtracking long before a real hang), and without FUZZ_RUNS each property stops
 * generating after its time budget (`interruptAfterTimeLimit`, not counted as a failure).
 *
 * Corpus. test/fixtures/nasty/ holds the nastiest inputs found or written by hand, one JSON array
 * per parser (see `loadCorpus`); corpus.fuzz.test.ts replays all of it on every run. When a
 * property finds a counterexample, add the shrunk input there (with `expect` once it is fixed).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import type { DocKind, Store } from "../../src/store/types.js";

const DEFAULT_BASE = 100;

function positiveInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, not ${text}`);
  return value;
}

/** Runs of a weight-1 property. */
export const FUZZ_BASE = positiveInteger("FUZZ_RUNS") ?? DEFAULT_BASE;
/** Whether this is a long run (FUZZ_RUNS set): no time budget per property. */
export const LONG_RUN = process.env.FUZZ_RUNS !== undefined && process.env.FUZZ_RUNS !== "";
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH || undefined;

/** Time one property may take in a default run before it stops generating (not a failure). */
const BUDGET_MS = 2_500;
/** Longest a single synchronous parser call may take on a bounded input. */
export const MAX_CALL_MS = 500;

/** fast-check parameters for a property of relative cost `weight`. */
export function runs<T = unknown>(weight = 1): fc.Parameters<T> {
  return {
    numRuns: Math.max(1, Math.round(FUZZ_BASE * weight)),
    ...(LONG_RUN ? {} : { interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false }),
    ...(SEED === undefined ? {} : { seed: SEED }),
    ...(PATH === undefined ? {} : { path: PATH }),
  };
}

/** A vitest timeout for a property of relative cost `weight`. */
export function timeout(weight = 1): number {
  return LONG_RUN ? Math.max(30_000, Math.ceil(weight * FUZZ_BASE) * 50) : 30_000;
}

/** Calls `f`, failing when it takes longer than MAX_CALL_MS (a super-linear path on bounded input). */
export function timed<T>(what: string, f: () => T, maxMs = MAX_CALL_MS): T {
  const start = performance.now();
  const result = f();
  const elapsed = performance.now() - start;
  if (elapsed > maxMs) throw new Error(`${what} took ${elapsed.toFixed(0)} ms (limit ${maxMs} ms)`);
  return result;
}

/** The async form of `timed`. */
export async function timedAsync<T>(what: string, f: () => Promise<T>, maxMs = MAX_CALL_MS * 4): Promise<T> {
  const start = performance.now();
  const result = await f();
  const elapsed = performance.now() - start;
  if (elapsed > maxMs) throw new Error(`${what} took ${elapsed.toFixed(0)} ms (limit ${maxMs} ms)`);
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Generators of text.

/** Any UTF-16 code unit, lone surrogates included (what JSON `\u` escapes and D4 queues can carry). */
export const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Characters meant to break keys, splitting, escaping and decoding. */
export const INJECTION_PIECES = [
  ":",
  "{",
  "}",
  "{}",
  "*",
  "%",
  "%00",
  "%2F",
  "\r\n",
  "\r",
  "\n",
  "\u0000",
  "\t",
  " ",
  "\\",
  "\\.",
  "\\000",
  "\\255",
  "\\256",
  "\\999",
  '"',
  "'",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\ud800",
  "\udc00",
  "\ud83d\ude00",
  "é",
  "İ",
  "K",
  "\u200b",
  "\ufeff",
  "\u2028",
  "\uffff",
  ".",
  "..",
  "|",
  "||",
  "/",
  "?",
  "#",
  "&",
  "=",
  ",",
  "-",
  "$",
  "@",
  "[",
  "]",
  "<",
  ">",
] as const;

export const injectionPiece = fc.constantFrom(...INJECTION_PIECES);

/** Short host-name text: letters (either case), digits and hyphens. */
export const hostLabel = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,14}[a-zA-Z0-9])?$/);

/** A label that mixes host-name text with injection pieces, or is too long. */
export const nastyLabel = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.oneof(hostLabel, injectionPiece), { minLength: 1, maxLength: 5 })
      .map((p) => p.join("")),
  },
  { weight: 1, arbitrary: fc.integer({ min: 60, max: 70 }).map((n) => "a".repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 40 }).map((n) => "é".repeat(n)) },
);

/** Names full of injection characters, very long labels, 300-character names, empty labels. */
export const nastyName = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(fc.oneof(hostLabel, nastyLabel), { minLength: 1, maxLength: 5 })
      .map((l) => l.join(".")),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 250, max: 320 })
      .map((n) => `${"abcdefghi.".repeat(Math.ceil(n / 10))}`.slice(0, n)),
  },
  { weight: 1, arbitrary: fc.string({ unit: utf16Unit, maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", ".", "..", "*", "*.", "*.*", "\\", "a..b", ".a", "a.\\", "*.com", "com.*"),
  },
);

/** Junk text for one line: no `\n`, anything else (control characters, lone surrogates, delimiters). */
export const junkLine = fc.oneof(
  fc.string({ unit: utf16Unit, maxLength: 120 }).map((s) => s.replaceAll("\n", "")),
  fc
    .array(
      fc.oneof(
        injectionPiece,
        fc.constantFrom(
          "IN",
          "A",
          "AAAA",
          "TXT",
          "NXDOMAIN",
          "1322849924.408856",
          "10.1.1.1",
          "::1",
          "60",
          "1",
        ),
      ),
      { maxLength: 30 },
    )
    .map((p) => p.join("").replaceAll("\n", "")),
  fc.json({ maxDepth: 2 }),
);

/** Applies random edits (insert, delete, replace, duplicate, truncate) to a text. */
export function mutated(
  text: fc.Arbitrary<string>,
  unit: fc.Arbitrary<string> = fc.oneof(utf16Unit, injectionPiece),
) {
  const edit = fc.tuple(fc.nat(), fc.constantFrom("insert", "delete", "replace", "repeat", "truncate"), unit);
  return fc.tuple(text, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([base, edits]) => {
    let s = base;
    for (const [at, op, piece] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      if (op === "insert") s = s.slice(0, i) + piece + s.slice(i);
      else if (op === "delete") s = s.slice(0, i) + s.slice(i + 1 + (at % 3));
      else if (op === "replace") s = s.slice(0, i) + piece + s.slice(i + piece.length);
      else if (op === "repeat") s = s.slice(0, i) + s.slice(i, i + 8).repeat(1 + (at % 5)) + s.slice(i);
      else s = s.slice(0, i);
    }
    return s;
  });
}

/** Splits `bytes` into chunks at the given cut points (some chunks may be empty). */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

/** An async iterable over chunks, as a stream or a socket delivers them. */
export async function* chunked(chunks: readonly Buffer[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield chunk;
}

/** ASCII letters lowercased, nothing else (what DNS name normalisation may change). */
export function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** A presentation name without its trailing dot: one unescaped final `.` (the root `.` stays). */
export function withoutTrailingDot(name: string): string {
  if (name === "." || !name.endsWith(".")) return name;
  const slashes = /\\*\.$/.exec(name)?.[0].length ?? 1;
  return (slashes - 1) % 2 === 0 ? name.slice(0, -1) : name;
}

/** Whether a string has an unpaired UTF-16 surrogate. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

// ---------------------------------------------------------------------------------------------------
// Generators of addresses, with their bytes: the bytes are the oracle, the text any valid spelling.

export interface AddressSample {
  bytes: Uint8Array;
  text: string;
}

/** An IPv4 address in its only valid spelling (dotted quad, no leading zeros). */
export const ipv4Sample: fc.Arbitrary<AddressSample> = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((bytes) => ({ bytes, text: Array.from(bytes).join(".") }));

/**
 * An IPv6 address in any RFC 4291 spelling: groups with or without leading zeros, either case, any
 * run of zero groups (even one) compressed or not, the last 32 bits as a dotted quad or not. The
 * bytes lean towards zero groups (runs to compress) and ::ffff:0:0/96 (mapped IPv4).
 */
export const ipv6Sample: fc.Arbitrary<AddressSample> = fc
  .tuple(
    fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    }),
    fc.boolean(),
    fc.array(fc.tuple(fc.nat(3), fc.boolean()), { minLength: 8, maxLength: 8 }),
    fc.boolean(),
    fc.nat(),
  )
  .map(([raw, mapped, styles, dotted, pick]) => {
    const groups = mapped ? [0, 0, 0, 0, 0, 0xffff, raw[6] ?? 0, raw[7] ?? 0] : raw;
    const bytes = new Uint8Array(16);
    groups.forEach((g, k) => {
      bytes[2 * k] = g >>> 8;
      bytes[2 * k + 1] = g & 0xff;
    });
    const hexOf = (g: number, k: number) => {
      const [pad, upper] = styles[k] ?? [0, false];
      const text = g.toString(16).padStart(Math.min(4, g.toString(16).length + pad), "0");
      return upper ? text.toUpperCase() : text;
    };
    const count = dotted ? 6 : 8;
    const parts = groups.slice(0, count).map(hexOf);
    // Runs of zero groups among the hex ones; compress one of them (or none).
    const runs: Array<[number, number]> = [];
    for (let k = 0; k < count; k++) {
      if (groups[k] !== 0) continue;
      let end = k + 1;
      while (end < count && groups[end] === 0) end++;
      for (let a = k; a < end; a++) for (let b = a + 1; b <= end; b++) runs.push([a, b]);
      k = end;
    }
    const chosen = pick % (runs.length + 1) === runs.length ? undefined : runs[pick % (runs.length + 1)];
    let text: string;
    if (chosen === undefined) {
      text = parts.join(":");
    } else {
      const [a, b] = chosen;
      text = `${parts.slice(0, a).join(":")}::${parts.slice(b).join(":")}`;
    }
    if (dotted) {
      const quad = `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      text = chosen !== undefined && chosen[1] === count ? `${text}${quad}` : `${text}:${quad}`;
    }
    return { bytes, text };
  });

export const ipSample = fc.oneof(ipv4Sample, ipv6Sample);

// ---------------------------------------------------------------------------------------------------
// The corpus of nasty inputs: test/fixtures/nasty/<name>.json, a JSON array of cases.

/**
 * One case: a bare string is an input; an object gives the input as `input` (text), `hex` or
 * `base64` (bytes: invalid UTF-8, binary packets), a `note`, and optionally `expect`, a partial
 * result the case must produce (a regression), whose shape depends on the file.
 */
export interface CorpusCase {
  input?: string;
  hex?: string;
  base64?: string;
  note?: string;
  expect?: unknown;
  [more: string]: unknown;
}

export const CORPUS_DIR = new URL("../fixtures/nasty/", import.meta.url);

export function loadCorpus(name: string): CorpusCase[] {
  const raw: unknown = JSON.parse(readFileSync(new URL(`${name}.json`, CORPUS_DIR), "utf8"));
  if (!Array.isArray(raw)) throw new Error(`corpus ${name}.json is not a JSON array`);
  return raw.map((entry, k) => {
    if (typeof entry === "string") return { input: entry };
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new Error(`corpus ${name}.json case ${k} is neither a string nor an object`);
    }
    return entry as CorpusCase;
  });
}

/** The bytes of a case (text as UTF-8). */
export function caseBytes(c: CorpusCase): Buffer {
  if (c.hex !== undefined) return Buffer.from(c.hex, "hex");
  if (c.base64 !== undefined) return Buffer.from(c.base64, "base64");
  return Buffer.from(c.input ?? "", "utf8");
}

/** The text of a case (bytes decoded as UTF-8, with replacement characters). */
export function caseText(c: CorpusCase): string {
  if (c.input !== undefined) return c.input;
  return caseBytes(c).toString("utf8");
}

// ---------------------------------------------------------------------------------------------------
// Test doubles.

/** A store holding only documents: all JwtService needs. */
export function documentStore(): Store {
  const docs = new Map<DocKind, Map<string, string>>();
  const of = (kind: DocKind) =>
    docs.get(kind) ?? docs.set(kind, new Map()).get(kind) ?? new Map<string, string>();
  const partial: Pick<Store, "getDoc" | "putDoc" | "deleteDoc" | "listDocs"> = {
    getDoc: async (kind, id) => of(kind).get(id),
    putDoc: async (kind, id, json) => {
      of(kind).set(id, json);
    },
    deleteDoc: async (kind, id) => of(kind).delete(id),
    listDocs: async (kind) => [...of(kind).entries()],
  };
  return partial as Store;
}

export { fc };
