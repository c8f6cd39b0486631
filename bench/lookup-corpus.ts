/**
 * The corpus of the lookup benchmark: a large passivedns file (10,000,000 distinct records in the full
 * profile) of background records over many names and addresses, with the answers of the measured
 * lookups planted in it, plus a small file of fresh lines written at each run (their times are relative
 * to now, for the `time_last_after=-86400` lookup).
 *
 * Every line is a distinct tuple, so the store holds exactly as many records as the file has lines:
 * names are unique by construction (a label and a domain index) and a name never gets two records of
 * the same rrtype and rdata. The planted answers are exact: background records never use the planted
 * domains, labels or address blocks, and nothing points to the planted names.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeLines } from "./corpus.js";
import { Draw } from "./prng.js";

/** What is planted, and the answers the lookups must give (record counts). */
export const PLANTED = {
  /** `*.<leftDomain>`: this many names under it (at depth 1 and 2), one A record each. */
  leftDomain: "left.bench-lookup.lu",
  leftNames: 10_000,
  /** `<rightLabels>.*`: this many names starting with these labels under as many domains, one A each. */
  rightLabels: "www.lookup-right",
  rightNames: 10_000,
  /** A /16 (CGNAT space, which the background never uses): this many addresses, one A record each. */
  block16: "100.64.0.0/16",
  block16Records: 10_000,
  /** A /24 (TEST-NET-3): this many addresses, each the A record of two names. */
  block24: "203.0.113.0/24",
  block24Addresses: 100,
  block24NamesPerAddress: 2,
  /**
   * `*.<fencedDomain>`: this many names with an old A record each (from the big file); the fresh file
   * sees again the old record of the first `fencedSeenAgain` names and gives the next `fencedNew` names a
   * new A record, so a `time_last_after=-86400` lookup answers `fencedSeenAgain + fencedNew` records.
   */
  fencedDomain: "fenced.bench-lookup.lu",
  fencedNames: 2_000,
  fencedSeenAgain: 250,
  fencedNew: 250,
  /** The bulk request: this many names, each owning an A, an AAAA and a TXT record. */
  bulkNames: 1_000,
  bulkRecordsPerName: 3,
} as const;

/** Bumped whenever the generator's output changes, so that stale cached corpora are not reused. */
const GENERATOR_VERSION = 2;
const START = 1_735_689_600; // 2025-01-01T00:00:00Z: every line of the big file is old.
const SPAN_SECONDS = 30 * 86_400;
const RESOLVERS = ["10.0.0.53", "10.0.1.53", "10.8.0.1", "192.168.1.1"];
const TLDS = ["com", "com", "com", "net", "org", "de", "lu", "fr", "eu", "io", "be", "nl", "co.uk", "it"];
/** Labels of a domain's names, most common first; index 0 is the domain itself. */
// biome-ignore format: a word list reads better packed
const LABELS = [
  "", "www", "mail", "api", "cdn", "app", "m", "shop", "blog", "static", "vpn", "smtp", "webmail", "img",
  "portal", "login", "dev", "test", "staging", "ns1", "ns2", "ftp", "git", "status", "docs", "support",
];
/** Background rrtypes: a name's records take consecutive entries from a random start (A may repeat). */
const TYPE_CYCLE = ["A", "AAAA", "TXT", "A", "MX", "CNAME", "NS", "A", "TXT", "AAAA", "A", "NS"] as const;
/** Background records per name on average (1 to 5). */
const RECORDS_PER_NAME = 3;
/** Background names per domain on average. */
const NAMES_PER_DOMAIN = 16;
/** Background domains: about one per this many records. */
const RECORDS_PER_DOMAIN = NAMES_PER_DOMAIN * RECORDS_PER_NAME;

export interface LookupCorpusShape {
  /** Lines of the big file, each a distinct record. */
  lines: number;
  plantedLines: number;
  backgroundNames: number;
  domains: number;
  /** Distinct IPv4 addresses the background's A records draw from (a few hot ones). */
  ipv4Pool: number;
  bytes: number;
}

export interface LookupCorpus {
  path: string;
  shape: LookupCorpusShape;
  reused: boolean;
}

/** Bijective on 32 bits (odd multiplier), so distinct inputs give distinct outputs. */
function scramble(n: number): number {
  return (Math.imul(n, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Public-looking unicast addresses outside every block planted here or kept for tests. */
function backgroundIpv4(n: number): boolean {
  const a = n >>> 24;
  const b = (n >>> 16) & 255;
  const c = (n >>> 8) & 255;
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b < 128) return false; // CGNAT: the planted /16
  if (a === 192 && b === 0 && c === 2) return false; // TEST-NET-1: the fresh records
  if (a === 198 && b === 51 && c === 100) return false;
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3: the planted /24
  const last = n & 255;
  return last !== 0 && last !== 255;
}

/** `size` distinct background addresses, as 32-bit numbers. */
function ipv4Pool(size: number): Uint32Array {
  const pool = new Uint32Array(size);
  for (let i = 0, n = 0; i < size; n++) {
    const address = scramble(n);
    if (backgroundIpv4(address)) pool[i++] = address;
  }
  return pool;
}

/** The registered domain of background index `k`: unique per index. */
function domainOf(k: number): string {
  return `${scramble(k).toString(36)}x.${TLDS[k % TLDS.length]}`;
}

function labelOf(index: number): string {
  return LABELS[index] ?? `h${index}`;
}

function timestamp(i: number, lines: number, draw: Draw): string {
  return `${START + Math.floor((i * SPAN_SECONDS) / lines)}.${String(draw.int(1_000_000)).padStart(6, "0")}`;
}

/** The planted address of the /16's record `i`, spread over the whole block. */
export function block16Address(i: number): string {
  const offset = Math.floor((i * 65_536) / PLANTED.block16Records);
  return `100.64.${offset >> 8}.${offset & 255}`;
}

/** The old A record of fenced name `i` (the fresh file sees the first ones again). */
function fencedOld(i: number): string {
  // 198.18.0.0/15 (benchmarking space): never inside a planted block.
  return `t${i}.${PLANTED.fencedDomain}.||A||198.18.${i >> 8}.${i & 255}||300`;
}

/** The names of the bulk request. */
export function bulkNames(): string[] {
  return Array.from({ length: PLANTED.bulkNames }, (_, i) => `bulk${i}.${domainOf(i * 7)}`);
}

/** The middles (`name.||TYPE||answer||ttl`) of the planted records of the big file. */
function plantedTuples(pool: Uint32Array, draw: Draw): string[] {
  const tuples: string[] = [];
  const poolAddress = () => ipv4Text(pool[draw.int(pool.length)] as number);
  for (let i = 0; i < PLANTED.leftNames; i++) {
    // Most names right under the domain, some one level deeper.
    const name = i % 5 === 4 ? `a.s${i}.${PLANTED.leftDomain}` : `h${i}.${PLANTED.leftDomain}`;
    tuples.push(`${name}.||A||${poolAddress()}||300`);
  }
  for (let i = 0; i < PLANTED.rightNames; i++) {
    tuples.push(`${PLANTED.rightLabels}.${domainOf(i)}.||A||${poolAddress()}||300`);
  }
  for (let i = 0; i < PLANTED.block16Records; i++) {
    tuples.push(`srv${i}.${domainOf(i * 3 + 1)}.||A||${block16Address(i)}||300`);
  }
  for (let a = 1; a <= PLANTED.block24Addresses; a++) {
    for (let n = 0; n < PLANTED.block24NamesPerAddress; n++) {
      tuples.push(`web${a}-${n}.${domainOf(a * 11 + n)}.||A||203.0.113.${a}||300`);
    }
  }
  for (let i = 0; i < PLANTED.fencedNames; i++) tuples.push(fencedOld(i));
  bulkNames().forEach((name, i) => {
    tuples.push(`${name}.||A||${poolAddress()}||300`);
    tuples.push(`${name}.||AAAA||2001:db8:b${(i >> 8).toString(16)}::${(i & 255).toString(16)}||300`);
    tuples.push(`${name}.||TXT||"bulk-${i} v=spf1 -all"||3600`);
  });
  return tuples;
}

/**
 * Background records, domain after domain: each domain gets 1 to 2 × NAMES_PER_DOMAIN names (label
 * `j` of domain `k`; label 0 is the domain itself), each name 1 to 5 records of distinct (type, rdata).
 * Writing a domain's names together keeps each batch of the fill within a few thousand subtrees of
 * the store (LMDB copies every page a write transaction touches): the store's content is what a feed's
 * order would give, the fill is faster.
 */
function* backgroundTuples(
  count: number,
  domains: number,
  pool: Uint32Array,
  draw: Draw,
): Generator<string, void, undefined> {
  let emitted = 0;
  for (let k = 0; emitted < count; k++) {
    const domain = domainOf(k);
    const names = 1 + draw.int(2 * NAMES_PER_DOMAIN - 1);
    for (let j = 0; j < names && emitted < count; j++) {
      const label = labelOf(j);
      const name = label === "" ? domain : `${label}.${domain}`;
      const records = Math.min(count - emitted, 1 + draw.int(2 * RECORDS_PER_NAME - 1));
      const start = draw.int(TYPE_CYCLE.length);
      // Hot addresses are shared by many names; the A records of one name are distinct pool entries.
      const base = draw.skewed(pool.length, 2.5);
      for (let r = 0; r < records; r++) {
        const type = TYPE_CYCLE[(start + r) % TYPE_CYCLE.length] as string;
        yield `${name}.||${backgroundRecord(type, r, base, k, domains, pool, draw)}`;
        emitted++;
      }
    }
  }
}

/** `TYPE||answer||ttl` of a name's record `r` (distinct per `r` for a repeated type). */
function backgroundRecord(
  type: string,
  r: number,
  base: number,
  k: number,
  domains: number,
  pool: Uint32Array,
  draw: Draw,
): string {
  switch (type) {
    case "A":
      return `A||${ipv4Text(pool[(base + r * 7919) % pool.length] as number)}||300`;
    case "AAAA":
      return `AAAA||2a02:${(draw.int(0xffff) + 1).toString(16)}:${(k & 0xffff).toString(16)}::${r + 1}||300`;
    case "TXT":
      return `TXT||"v=spf1 include:_spf.${domainOf(draw.int(domains))} ~all ${r}"||3600`;
    case "MX":
      return `MX||mail.${domainOf(draw.int(domains))}.||3600`;
    case "NS":
      return `NS||ns${r + 1}.${domainOf(draw.int(Math.min(domains, 500)))}.||86400`;
    default:
      return `CNAME||www.${domainOf(draw.skewed(domains, 1.5))}.||300`;
  }
}

/** Records the big file plants (every planted tuple is one line). */
export function plantedLineCount(): number {
  return (
    PLANTED.leftNames +
    PLANTED.rightNames +
    PLANTED.block16Records +
    PLANTED.block24Addresses * PLANTED.block24NamesPerAddress +
    PLANTED.fencedNames +
    PLANTED.bulkNames * PLANTED.bulkRecordsPerName
  );
}

/**
 * The big file of `lines` distinct records from `seed`, generated into `dir` unless a file with the
 * same parameters is there already. Planted lines are spread evenly through the background.
 */
export async function lookupCorpus(dir: string, lines: number, seed: number): Promise<LookupCorpus> {
  const path = join(dir, `lookup-${lines}-s${seed}-v${GENERATOR_VERSION}.txt`);
  const shapePath = `${path}.json`;
  if (existsSync(path) && existsSync(shapePath)) {
    return { path, shape: JSON.parse(await readFile(shapePath, "utf8")) as LookupCorpusShape, reused: true };
  }
  await mkdir(dir, { recursive: true });
  const draw = new Draw(seed);
  const plantedCount = plantedLineCount();
  const background = lines - plantedCount;
  if (background < 0) throw new Error(`the lookup corpus needs at least ${plantedCount} lines`);
  const domains = Math.max(1_000, Math.round(background / RECORDS_PER_DOMAIN));
  const pool = ipv4Pool(Math.max(1_000, Math.round(background / 5)));
  const planted = plantedTuples(pool, draw);
  draw.shuffle(planted);
  const rest = backgroundTuples(background, domains, pool, draw);
  let plantedAt = 0;
  let backgroundNames = 0;
  let lastName = "";
  const bytes = await writeLines(path, lines, (i) => {
    let tuple: string;
    // Bresenham: planted line k goes out at the line where k planted lines are due.
    if (plantedAt < planted.length && Math.floor(((i + 1) * planted.length) / lines) > plantedAt) {
      tuple = planted[plantedAt++] as string;
    } else {
      tuple = rest.next().value as string;
      const name = tuple.slice(0, tuple.indexOf("||"));
      if (name !== lastName) backgroundNames++;
      lastName = name;
    }
    const client = `10.${draw.int(4)}.${draw.int(256)}.${1 + draw.int(254)}`;
    const server = RESOLVERS[i & 3] as string;
    return `${timestamp(i, lines, draw)}||${client}||${server}||IN||${tuple}||${1 + draw.skewed(20, 3)}`;
  });
  if (plantedAt !== planted.length || !rest.next().done) throw new Error("lookup corpus: lines miscounted");
  const shape: LookupCorpusShape = {
    lines,
    plantedLines: plantedCount,
    backgroundNames,
    domains,
    ipv4Pool: pool.length,
    bytes,
  };
  await writeFile(shapePath, `${JSON.stringify(shape, null, 2)}\n`);
  return { path, shape, reused: false };
}

/**
 * The fresh lines, seen within the last hours of `nowSeconds`: old fenced records seen again and new
 * ones. Written to `path` at every run (not cached: the lookup's fence moves with the clock).
 */
export async function writeFreshLines(path: string, nowSeconds: number): Promise<number> {
  const { fencedSeenAgain, fencedNew, fencedDomain } = PLANTED;
  const total = fencedSeenAgain + fencedNew;
  await writeLines(path, total, (i) => {
    const time = `${nowSeconds - 3_600 + i}.000000`;
    const tuple =
      i < fencedSeenAgain
        ? fencedOld(i)
        : `t${i}.${fencedDomain}.||A||192.0.2.${1 + (i - fencedSeenAgain)}||300`;
    return `${time}||10.0.0.1||10.0.0.53||IN||${tuple}||1`;
  });
  return total;
}
