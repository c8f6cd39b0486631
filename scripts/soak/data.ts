/**
 * What the soak ingests and asks for: synthetic passivedns lines with ever new names (so that the store
 * grows all along), ja3-jl sessions made from the sample file with their server address varied over a
 * bounded pool, and the pool of values known to be stored (names, addresses, certificates), from which
 * the query clients draw.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Draw } from "../../bench/prng.js";

/** Values the store is known to hold: only what an ingest answer has confirmed goes here. */
export class KnownValues {
  readonly #names: string[] = [];
  readonly #addresses: string[] = [];
  readonly tlsAddresses: string[] = [];
  readonly certificates: string[] = [];
  readonly #limit: number;
  #next = 0;

  /** Keeps at most `limit` names and addresses; past that, each new one replaces the oldest. */
  constructor(limit = 50_000) {
    this.#limit = limit;
  }

  /** A name owning an A record, and that record's address. */
  addName(name: string, address: string): void {
    if (this.#names.length < this.#limit) {
      this.#names.push(name);
      this.#addresses.push(address);
      return;
    }
    this.#names[this.#next] = name;
    this.#addresses[this.#next] = address;
    this.#next = (this.#next + 1) % this.#limit;
  }

  /** An address seen serving a certificate (sessions without one leave the address unknown). */
  addTls(address: string, certificate: string | undefined): void {
    if (!certificate) return;
    if (!this.tlsAddresses.includes(address)) this.tlsAddresses.push(address);
    if (!this.certificates.includes(certificate)) this.certificates.push(certificate);
  }

  get size(): number {
    return this.#names.length;
  }

  pickName(draw: Draw): string {
    return draw.pick(this.#names);
  }

  pickAddress(draw: Draw): string {
    return draw.pick(this.#addresses);
  }
}

const RRTYPES: ReadonlyArray<readonly [string, number]> = [
  ["A", 60],
  ["AAAA", 15],
  ["CNAME", 10],
  ["MX", 5],
  ["TXT", 5],
  ["NS", 5],
];

/** The type of name number n, by RRTYPES' weights (a fixed hash of n). */
function typeOf(n: number): string {
  let point = (Math.imul(n, 2_654_435_761) >>> 0) % 100;
  for (const [type, weight] of RRTYPES) {
    if (point < weight) return type;
    point -= weight;
  }
  return "A";
}

/** A batch of synthetic lines, and the (name, address) pairs of some of its A records. */
export interface SyntheticBatch {
  lines: number;
  chunks: string[];
  known: Array<readonly [name: string, address: string]>;
}

/**
 * Passivedns lines in the sensor's default layout (`ts||client||server||IN||name.||type||rdata||ttl||count`,
 * as in shared/samples/passivedns.txt): each new line's name is new (`h<n>.z<n % 997>.<label>.<run>.soak`),
 * so the store grows by about one record per line; one line in five repeats a recent record, a merge.
 * With `distinct`, names cycle over that many (each with at most one record per type), and the store
 * levels off once all have been written.
 * A records point into 198.18.0.0/15 (benchmarking addresses), so each address collects a few names.
 */
export class SyntheticDns {
  readonly #draw: Draw;
  readonly #zone: string;
  #count = 0;
  readonly #recent: string[] = [];
  readonly #distinct: number;

  /** `distinct`: after that many names, the same names again (their records merge); default unbounded. */
  constructor(seed: number, label: string, runId: string, distinct = Number.POSITIVE_INFINITY) {
    this.#draw = new Draw(seed);
    this.#zone = `${label}.${runId}.soak`;
    this.#distinct = distinct;
  }

  #address(n: number): string {
    const k = Math.imul(n, 2_654_435_761) >>> 15;
    return `198.${18 + ((k >> 16) & 1)}.${(k >> 8) & 255}.${k & 255}`;
  }

  #record(n: number, type: string): string {
    const name = `h${n}.z${n % 997}.${this.#zone}`;
    const rdata =
      type === "A"
        ? this.#address(n)
        : type === "AAAA"
          ? `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`
          : type === "CNAME"
            ? `h${Number.isFinite(this.#distinct) ? n >> 1 : this.#draw.int(Math.max(1, n))}.z1.${this.#zone}.`
            : type === "MX" || type === "NS"
              ? `${type.toLowerCase()}${n % 7}.${this.#zone}.`
              : `"soak ${n}"`;
    return `IN||${name}.||${type}||${rdata}||300`;
  }

  /** `lines` lines, in chunks of at most `chunkLines`; every `knownEvery`-th A record is reported. */
  batch(lines: number, chunkLines = 1_000, knownEvery = 10): SyntheticBatch {
    const chunks: string[] = [];
    const known: Array<readonly [string, string]> = [];
    let chunk = "";
    let inChunk = 0;
    for (let i = 0; i < lines; i++) {
      const now = Date.now() / 1000;
      let record: string;
      if (this.#recent.length > 0 && this.#draw.float() < 0.2) record = this.#draw.pick(this.#recent);
      else {
        const n = this.#count++ % this.#distinct;
        // With a bounded set of names, each name keeps its one type, so repeats merge.
        const type = Number.isFinite(this.#distinct) ? typeOf(n) : this.#draw.weighted(RRTYPES);
        record = this.#record(n, type);
        if (this.#recent.length < 1_000) this.#recent.push(record);
        else this.#recent[this.#draw.int(1_000)] = record;
        if (type === "A" && n % knownEvery === 0)
          known.push([`h${n}.z${n % 997}.${this.#zone}`, this.#address(n)]);
      }
      chunk += `${now.toFixed(6)}||10.0.0.${1 + (i % 250)}||127.0.0.53||${record}||${1 + this.#draw.int(3)}\n`;
      if (++inChunk === chunkLines) {
        chunks.push(chunk);
        chunk = "";
        inChunk = 0;
      }
    }
    if (chunk !== "") chunks.push(chunk);
    return { lines, chunks, known };
  }
}

/** A ja3-jl session line of the sample file, its fields as the TLS sensor writes them. */
interface Ja3Session {
  ServerIP: string;
  Timestamp: string;
  Certificates: Array<{ CertHash: string }> | null;
  [field: string]: unknown;
}

/**
 * ja3-jl sessions: the sample's sessions, each sent again with the server address drawn from
 * 10.99.0.0/22 (1,024 addresses) and the current time, so that the TLS data keeps being written and
 * merged without each certificate's address list growing without bound.
 */
export class SyntheticTls {
  readonly #draw: Draw;
  readonly #sessions: Ja3Session[];

  constructor(seed: number, sampleLines: readonly string[]) {
    this.#draw = new Draw(seed);
    this.#sessions = sampleLines.map((line) => JSON.parse(line) as Ja3Session);
  }

  get available(): boolean {
    return this.#sessions.length > 0;
  }

  /** `count` lines, and the (address, leaf certificate) pairs they carry. */
  batch(count: number): { body: string; seen: Array<readonly [string, string | undefined]> } {
    let body = "";
    const seen: Array<readonly [string, string | undefined]> = [];
    for (let i = 0; i < count; i++) {
      const session = this.#draw.pick(this.#sessions);
      const n = this.#draw.int(1_024);
      const address = `10.99.${n >> 8}.${n & 255}`;
      body += `${JSON.stringify({ ...session, ServerIP: address, Timestamp: new Date().toISOString() })}\n`;
      seen.push([address, session.Certificates?.[0]?.CertHash]);
    }
    return { body, seen };
  }
}

/** The sample files (shared/samples), read once; any may be absent. */
export interface Samples {
  passivedns: string | undefined;
  ja3: string | undefined;
  eve: string | undefined;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

export async function readSamples(dir: string): Promise<Samples> {
  return {
    passivedns: await readOptional(join(dir, "passivedns.txt")),
    ja3: await readOptional(join(dir, "ja3-jl.ndjson")),
    eve: await readOptional(join(dir, "suricata-eve-tls.ndjson")),
  };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The names owning an A record in the passivedns sample, with that address (error lines skipped). */
export function sampleNames(text: string): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  for (const line of text.split("\n")) {
    const fields = line.split("||");
    const [name, type, rdata] = [fields[4], fields[5], fields[6]];
    if (name && type === "A" && rdata && IPV4.test(rdata))
      pairs.push([name.replace(/\.$/, "").toLowerCase(), rdata]);
  }
  return pairs;
}

/** The non-empty lines of a sample. */
export function linesOf(text: string | undefined): string[] {
  return (text ?? "").split("\n").filter((line) => line.trim() !== "");
}

/** The (server address, leaf SHA-1) pairs of ja3-jl lines; sessions without certificates are skipped. */
export function sampleTls(lines: readonly string[]): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  for (const line of lines) {
    const session = JSON.parse(line) as Ja3Session;
    const leaf = session.Certificates?.[0]?.CertHash;
    if (leaf) pairs.push([session.ServerIP, leaf]);
  }
  return pairs;
}
