/**
 * Deterministic passive DNS corpora in the sensor's default text format
 * (`sec.usec||client||server||IN||name.||TYPE||answer||ttl||count`), cached by their parameters so that
 * a rerun reads the same bytes instead of generating them again.
 *
 * The main corpus has the shape of a real feed: ~20% distinct owner names under a few thousand domains,
 * far fewer addresses than names (a few hot ones), the usual rrtype mix, and tuples that come back over
 * 30 days with counts, as the sensor prints a tuple again when it leaves its cache or after 24 h.
 */

import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Vocabulary } from "./corpus-vocabulary.js";
import { Draw } from "./prng.js";

export interface CorpusShape {
  lines: number;
  distinctNames: number;
  distinctTuples: number;
  /** Distinct A/AAAA rdata: the address pool the names share. */
  distinctAddresses: number;
  bytes: number;
  linesByType: Record<string, number>;
}

export interface Corpus {
  path: string;
  shape: CorpusShape;
  reused: boolean;
}

/** Query values with a known answer, planted in every main corpus. */
export const KNOWN = {
  nameHit: "www.bench-known.lu",
  nameHitRecords: 5,
  /** From 198.51.100.0/24 (TEST-NET-2), which the random address pool never uses. */
  ipHit: "198.51.100.77",
  ipHitNames: 10,
  miss: "no-such-host.bench-miss.lu",
} as const;

/** Bumped whenever the generator's output changes, so that stale cached corpora are not reused. */
const GENERATOR_VERSION = 1;
const START = 1_735_689_600; // 2025-01-01T00:00:00Z
const SPAN_SECONDS = 30 * 86_400;
const LINES_PER_WRITE = 10_000;
const PTR_SHARE = 0.05;
const RESOLVERS = ["10.0.0.53", "10.0.1.53", "10.8.0.1", "192.168.1.1"];

/** Shares of the non-PTR tuples (PTR adds its 5% on top, owned by in-addr.arpa names). */
const TYPE_MIX: ReadonlyArray<readonly [string, number]> = [
  ["A", 45],
  ["AAAA", 15],
  ["CNAME", 10],
  ["TXT", 8],
  ["NS", 5],
  ["MX", 5],
  ["SOA", 2],
  ["SRV", 2],
  ["HTTPS", 1.2],
  ["CAA", 0.9],
  ["DS", 0.5],
  ["SSHFP", 0.4],
];

interface TuplePlan {
  /** `name.||TYPE||answer||ttl`: the middle of a line. */
  tuples: string[];
  types: string[];
  owners: number;
  addresses: number;
}

/** Every distinct tuple of the corpus, in the order the feed first sees them. */
function planTuples(lines: number, draw: Draw): TuplePlan {
  const tupleTarget = Math.round(lines * 0.4);
  // PTR owners (in-addr.arpa) add ~8% distinct names on top of these.
  const hostTarget = Math.round(lines * 0.2 * 0.92);
  const vocabulary = new Vocabulary(draw, {
    domains: Math.max(300, Math.round(lines / 330)),
    ipv4: Math.round(lines / 25),
    ipv6: Math.round(lines / 70),
    cdnHosts: Math.round(lines / 200),
    dnsProviders: 150,
  });
  const hostSet = new Set<string>(vocabulary.domains);
  while (hostSet.size < hostTarget) {
    // Popular domains get many hosts, most get a handful.
    const domain = vocabulary.domains[draw.skewed(vocabulary.domains.length, 1.8)];
    hostSet.add(`${vocabulary.hostLabel()}.${domain}`);
  }
  const hosts = [...hostSet];
  draw.shuffle(hosts);

  const plan: TuplePlan = { tuples: [], types: [], owners: 0, addresses: 0 };
  const keys = new Set<string>();
  const owners = new Set<string>();
  const addresses = new Set<string>();
  const add = (name: string, type: string, answer: string, ttl: number): boolean => {
    const key = `${name}\0${type}\0${answer}`;
    if (keys.has(key)) return false;
    keys.add(key);
    owners.add(name);
    if (type === "A" || type === "AAAA") addresses.add(answer);
    plan.tuples.push(`${name}.||${type}||${answer}||${ttl}`);
    plan.types.push(type);
    return true;
  };
  const addRandom = (name: string) => {
    // A name whose draws keep repeating its own tuples simply gets one record fewer.
    for (let attempt = 0; attempt < 20; attempt++) {
      const { type, answer, ttl } = vocabulary.answer(draw.weighted(TYPE_MIX), hosts);
      if (add(name, type, answer, ttl)) return;
    }
  };

  add(KNOWN.nameHit, "A", "203.0.113.10", 300);
  add(KNOWN.nameHit, "A", "203.0.113.11", 300);
  add(KNOWN.nameHit, "AAAA", "2001:db8:77::10", 300);
  add(KNOWN.nameHit, "MX", "mail.bench-known.lu.", 3600);
  add(KNOWN.nameHit, "TXT", '"v=spf1 mx -all"', 3600);
  for (const host of hosts.slice(0, KNOWN.ipHitNames)) add(host, "A", KNOWN.ipHit, 300);
  const planted = plan.tuples.length;

  for (const host of hosts) addRandom(host);
  const ptrTuples = Math.round(tupleTarget * PTR_SHARE);
  while (plan.tuples.length < tupleTarget - ptrTuples) {
    addRandom(hosts[draw.skewed(hosts.length, 1.5)] as string);
  }
  while (plan.tuples.length < tupleTarget) {
    const [a, b, c, d] = draw.pick(vocabulary.ipv4).split(".");
    add(`${d}.${c}.${b}.${a}.in-addr.arpa`, "PTR", `${draw.pick(hosts)}.`, 3600);
  }
  // Planted tuples stay first (the most repeated); the rest first appear at random times.
  const order = plan.tuples.map((_, i) => i);
  draw.shuffle(order, planted);
  plan.tuples = order.map((i) => plan.tuples[i] as string);
  plan.types = order.map((i) => plan.types[i] as string);
  plan.owners = owners.size;
  plan.addresses = addresses.size;
  return plan;
}

/**
 * Writes `lines` lines produced by `lineAt` to `path` atomically (a partial file is never reused), in
 * writes of `linesPerWrite` lines; returns the bytes written.
 */
export async function writeLines(
  path: string,
  lines: number,
  lineAt: (i: number) => string,
  linesPerWrite = LINES_PER_WRITE,
): Promise<number> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  let bytes = 0;
  for (let i = 0; i < lines; ) {
    let chunk = "";
    for (const end = Math.min(lines, i + linesPerWrite); i < end; i++) chunk += `${lineAt(i)}\n`;
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  await rename(partial, path);
  return bytes;
}

function timestamp(i: number, lines: number, draw: Draw): string {
  return `${START + Math.floor((i * SPAN_SECONDS) / lines)}.${String(draw.int(1_000_000)).padStart(6, "0")}`;
}

/**
 * The main corpus of `lines` lines from `seed`, generated into `dir` unless a file with the same
 * parameters is there already.
 */
export async function mainCorpus(dir: string, lines: number, seed: number): Promise<Corpus> {
  const path = join(dir, `passivedns-${lines}-s${seed}-v${GENERATOR_VERSION}.txt`);
  const shapePath = `${path}.json`;
  if (existsSync(path) && existsSync(shapePath)) {
    return { path, shape: JSON.parse(await readFile(shapePath, "utf8")) as CorpusShape, reused: true };
  }
  await mkdir(dir, { recursive: true });
  const draw = new Draw(seed);
  const plan = planTuples(lines, draw);
  const linesByType: Record<string, number> = {};
  let introduced = 0;
  const bytes = await writeLines(path, lines, (i) => {
    const unseen = plan.tuples.length - introduced;
    let at: number;
    let count = 1;
    // New tuples arrive evenly over the month; the rest are repeats, older tuples far more often.
    if (introduced === 0 || draw.float() * (lines - i) < unseen) at = introduced++;
    else {
      at = draw.skewed(introduced, 2);
      count = 1 + draw.skewed(50, 3);
    }
    const type = plan.types[at] as string;
    linesByType[type] = (linesByType[type] ?? 0) + 1;
    const client = `10.${draw.int(4)}.${draw.int(256)}.${1 + draw.int(254)}`;
    const server = draw.pick(RESOLVERS);
    return `${timestamp(i, lines, draw)}||${client}||${server}||IN||${plan.tuples[at]}||${count}`;
  });
  const shape: CorpusShape = {
    lines,
    distinctNames: plan.owners,
    distinctTuples: plan.tuples.length,
    distinctAddresses: plan.addresses,
    bytes,
    linesByType,
  };
  await writeFile(shapePath, `${JSON.stringify(shape, null, 2)}\n`);
  return { path, shape, reused: false };
}

/** A corpus in which one name owns `records` distinct A records (10.0.0.0/8), one line each. */
export async function oneNameCorpus(
  dir: string,
  records: number,
): Promise<{ path: string; name: string; records: number }> {
  if (records > 1 << 24) throw new Error("10.0.0.0/8 holds at most 2^24 distinct A records");
  const name = "big.bench-stream.lu";
  const path = join(dir, `one-name-${records}-v${GENERATOR_VERSION}.txt`);
  if (!existsSync(path)) {
    await mkdir(dir, { recursive: true });
    const draw = new Draw(records);
    await writeLines(path, records, (i) => {
      const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      return `${timestamp(i, records, draw)}||10.0.0.1||10.0.0.53||IN||${name}.||A||${address}||300||1`;
    });
  }
  return { path, name, records };
}
