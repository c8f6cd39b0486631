/**
 * A deterministic passive SSL corpus: `ja3-jl` lines in the exact shape of the D4 TLS sensor's (Go field
 * names, string ports, the chain as Go x509 certificates with `CertHash` and `Raw`, `"Certificates":
 * null` for sessions that showed none), cached by its parameters like the DNS corpora.
 *
 * It has the shape of real traffic: a few hundred real certificates (bench/tls-certificates.ts) re-used
 * across many server addresses, a few popular ones (CDN-like) on thousands of endpoints;
 * most servers on port 443 with one certificate, some hosting several by SNI or listening on a second
 * port; 5% of the addresses IPv6; ~10% of the sessions TLS 1.3 without a visible certificate; 40 client
 * fingerprints (JA3) and 40 server answers (JA3S). Endpoints first show up evenly over 30 days and come
 * back, the busy ones far more often.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeLines } from "./corpus.js";
import { Vocabulary } from "./corpus-vocabulary.js";
import { goCertificateJson } from "./go-x509-json.js";
import { Draw } from "./prng.js";
import { type BenchLeaf, benchPki, type LeafKey } from "./tls-certificates.js";

export interface TlsCorpusShape {
  sessions: number;
  sessionsWithoutCertificate: number;
  /** Distinct certificates in the sessions: leaves and issuing CAs. */
  certificates: number;
  leavesByKey: Partial<Record<LeafKey, number>>;
  /** Distinct server addresses, and how many of them are IPv6. */
  addresses: number;
  ipv6Addresses: number;
  /** Distinct (server address, port). */
  endpoints: number;
  /** Distinct (server address, port, leaf certificate): what ip-certs and cert-ips hold. */
  sightings: number;
  /** Endpoints per leaf certificate: the most widespread one's, the median and the least. */
  endpointsPerLeaf: { max: number; median: number; min: number };
  ja3: number;
  ja3s: number;
  bytes: number;
}

/** Query values with a known answer, planted in every TLS corpus. */
export interface TlsKnown {
  /** An address with a few certificates (on two ports), and their SHA-1s. */
  ip: string;
  ipCertificates: string[];
  /** A /24 around it with data at `blockAddresses` (address → certificates). */
  block: string;
  blockAddresses: Record<string, string[]>;
  /** The most widespread certificate, for cfetch: SHA-1, key and PEM. */
  cfetch: { sha1: string; key: LeafKey; pem: string };
}

export interface TlsCorpus {
  path: string;
  shape: TlsCorpusShape;
  known: TlsKnown;
  reused: boolean;
  /** Seconds spent making the certificates, when this run made them. */
  pkiSeconds: number | undefined;
}

/** Bumped whenever the generator's output changes, so that stale cached corpora are not reused. */
const GENERATOR_VERSION = 2;
const LEAVES = 300;
const SESSIONS_PER_ADDRESS = 4;
const IPV6_SHARE = 0.05;
const TLS13_SHARE = 0.1;
const SPAN_SECONDS = 30 * 86_400;
const LINES_PER_WRITE = 500;
/** The planted /24 (TEST-NET-1, which the address pools never use), its known host and hosts with data. */
const BLOCK = "192.0.2";
const KNOWN_HOST = 77;
const BLOCK_HOSTS = 40;

const OTHER_PORTS = [8443, 993, 995, 465, 636, 853, 4443, 10443, 5061, 8883];

// biome-ignore format: number lists read better packed
const CIPHERS = [
  4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47, 53, 10, 49161,
  49162, 49187, 49188, 49191, 49192, 107, 103, 57, 51, 255,
];
// biome-ignore format: number lists read better packed
const EXTENSIONS = [
  0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17513, 21, 28, 41, 34, 50, 49, 57,
];
const CURVES = [29, 23, 24, 25, 30, 256, 257];
const TLS12_SERVER_CIPHERS = [49199, 49200, 49195, 49196, 52392, 52393, 49171, 49172, 156, 157, 47];
const JA3_COUNT = 40;
const TLS12_JA3S_COUNT = 34;

const md5 = (text: string) => createHash("md5").update(text).digest("hex");

/** `count` items of `pool` in a random order that mostly keeps the pool's (client hellos do). */
function subsequence(draw: Draw, pool: readonly number[], count: number): number[] {
  const picked = pool.filter(() => draw.float() < count / pool.length);
  for (let i = 0; i + 1 < picked.length; i++) {
    if (draw.float() < 0.15) [picked[i], picked[i + 1]] = [picked[i + 1] as number, picked[i] as number];
  }
  return picked.length > 0 ? picked : [pool[0] as number];
}

interface Fingerprint {
  text: string;
  digest: string;
}

function distinctFingerprints(count: number, make: () => string): Fingerprint[] {
  const texts = new Set<string>();
  while (texts.size < count) texts.add(make());
  return [...texts].map((text) => ({ text, digest: md5(text) }));
}

/** Client hellos (JA3) and server hellos (JA3S: TLS 1.2 first, then TLS 1.3). */
function fingerprints(draw: Draw) {
  const ja3 = distinctFingerprints(JA3_COUNT, () => {
    const ciphers = subsequence(draw, CIPHERS, 8 + draw.int(14)).join("-");
    const extensions = subsequence(draw, EXTENSIONS, 8 + draw.int(10)).join("-");
    const curves = subsequence(draw, CURVES, 2 + draw.int(3)).join("-");
    return `771,${ciphers},${extensions},${curves},${draw.pick(["0", "0-1-2", "0"])}`;
  });
  const tls12 = distinctFingerprints(TLS12_JA3S_COUNT, () => {
    const extensions = subsequence(draw, [65281, 0, 11, 35, 23, 16, 5], 2 + draw.int(4)).join("-");
    return `771,${draw.pick(TLS12_SERVER_CIPHERS)},${extensions}`;
  });
  const tls13 = [4865, 4866, 4867].flatMap((cipher) =>
    ["43-51", "51-43"].map((extensions) => `771,${cipher},${extensions}`),
  );
  return { ja3, ja3s: [...tls12, ...tls13.map((text) => ({ text, digest: md5(text) }))] };
}

interface Endpoint {
  ip: string;
  port: number;
  /** Indexes of the leaves this endpoint serves (several: SNI hosting). */
  leaves: number[];
  /** The server's TLS stack: which JA3S it answers with. */
  profile: number;
}

/** The planted endpoints first (see TlsKnown), then every address of the pools with its ports. */
function planEndpoints(draw: Draw, vocabulary: Vocabulary, leafCount: number): Endpoint[] {
  const profile = () => draw.int(TLS12_JA3S_COUNT);
  const distinctLeaves = (n: number) => {
    const picked = new Set<number>();
    // Popular certificates (a CDN's, a hoster's wildcard) sit on far more endpoints than the rest.
    while (picked.size < n) picked.add(draw.skewed(leafCount, 2.2));
    return [...picked];
  };
  const known = `${BLOCK}.${KNOWN_HOST}`;
  const endpoints: Endpoint[] = [
    { ip: known, port: 443, leaves: [3, 10, 25, 60], profile: profile() },
    { ip: known, port: 8443, leaves: [120], profile: profile() },
  ];
  for (let host = 1; host <= BLOCK_HOSTS; host++) {
    if (host === KNOWN_HOST) continue;
    endpoints.push({ ip: `${BLOCK}.${host}`, port: 443, leaves: distinctLeaves(1), profile: profile() });
  }
  const addresses = [...vocabulary.ipv4, ...vocabulary.ipv6];
  draw.shuffle(addresses);
  for (const ip of addresses) {
    const ports = draw.float() < 0.95 ? [443] : [draw.pick(OTHER_PORTS)];
    if (draw.float() < 0.12) ports.push(draw.pick(OTHER_PORTS.filter((p) => p !== ports[0])));
    for (const port of ports) {
      const kind = draw.float();
      const n = kind < 0.88 ? 1 : kind < 0.98 ? 2 + draw.int(3) : 5 + draw.int(8);
      endpoints.push({ ip, port, leaves: distinctLeaves(n), profile: profile() });
    }
  }
  return endpoints;
}

/** Go's RFC 3339 with the fraction's trailing zeros trimmed, as the sensor prints `Timestamp`. */
function goTimestamp(seconds: number, micros: number): string {
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  const fraction = String(micros).padStart(6, "0").replace(/0+$/, "");
  return `${whole}${fraction ? `.${fraction}` : ""}Z`;
}

function pem(der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/**
 * The TLS corpus of `sessions` sessions from `seed`, generated into `dir` (with its certificates, made
 * there once) unless a file with the same parameters and certificates is there already.
 */
export async function tlsCorpus(dir: string, sessions: number, seed: number): Promise<TlsCorpus> {
  const pki = await benchPki(dir, LEAVES, seed);
  const name = `ja3-jl-${sessions}-s${seed}-v${GENERATOR_VERSION}-${pki.digest.slice(0, 8)}.ndjson`;
  const path = join(dir, name);
  const metaPath = `${path}.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(await readFile(metaPath, "utf8")) as { shape: TlsCorpusShape; known: TlsKnown };
    return { path, ...meta, reused: true, pkiSeconds: pki.generatedSeconds };
  }
  const { shape, known } = await writeTlsCorpus(path, sessions, seed, pki.leaves);
  await writeFile(metaPath, `${JSON.stringify({ shape, known }, null, 2)}\n`);
  return { path, shape, known, reused: false, pkiSeconds: pki.generatedSeconds };
}

async function writeTlsCorpus(path: string, sessions: number, seed: number, leaves: readonly BenchLeaf[]) {
  const draw = new Draw(seed);
  const addresses = Math.max(1, Math.round(sessions / SESSIONS_PER_ADDRESS));
  const ipv6 = Math.round(addresses * IPV6_SHARE);
  const vocabulary = new Vocabulary(draw, {
    domains: 1,
    ipv4: addresses - ipv6,
    ipv6,
    cdnHosts: 0,
    dnsProviders: 0,
  });
  const endpoints = planEndpoints(draw, vocabulary, leaves.length);
  const { ja3, ja3s } = fingerprints(draw);
  // The sensor prints each chain the same way every time: render each once.
  const chains = leaves.map((leaf) => `[${goCertificateJson(leaf.der)},${goCertificateJson(leaf.issuer)}]`);
  const tlsh = leaves.map(() => draw.hex(70));
  // Sessions start when the newest certificate is valid, on a whole hour.
  const newest = Math.max(...leaves.map((l) => Date.parse(new X509Certificate(l.der).validFrom)));
  const start = Math.ceil(newest / 3_600_000) * 3_600;

  // The planted endpoints come first, each of their certificates once; then they return like the rest.
  const planted: Array<[number, number]> = [];
  const plantedEndpoints = endpoints.findIndex((e) => !e.ip.startsWith(`${BLOCK}.`));
  for (let e = 0; e < plantedEndpoints; e++) {
    for (const leaf of (endpoints[e] as Endpoint).leaves) planted.push([e, leaf]);
  }
  const seen = {
    addresses: new Set<string>(),
    ipv6: new Set<string>(),
    endpoints: new Set<string>(),
    sightings: new Set<string>(),
    /** Issuing CAs, by their (shared) DER buffers. */
    issuers: new Set<Buffer>(),
    leaves: new Set<number>(),
    ja3: new Set<number>(),
    ja3s: new Set<number>(),
  };
  let withoutCertificate = 0;
  let introduced = plantedEndpoints;
  const bytes = await writeLines(
    path,
    sessions,
    (i) => {
      let e: number;
      let leaf: number | undefined;
      const unseen = endpoints.length - introduced;
      if (i < planted.length) [e, leaf] = planted[i] as [number, number];
      // New endpoints arrive evenly; the rest are returns, earlier (and planted) endpoints far more often.
      else if (unseen > 0 && draw.float() * (sessions - i) < unseen) e = introduced++;
      else e = draw.skewed(introduced, 2);
      const endpoint = endpoints[e] as Endpoint;
      const tls13 = leaf === undefined && draw.float() < TLS13_SHARE;
      if (!tls13) leaf ??= draw.pick(endpoint.leaves);
      const client = draw.skewed(JA3_COUNT, 1.8);
      const server = tls13
        ? TLS12_JA3S_COUNT + ((endpoint.profile + client) % (ja3s.length - TLS12_JA3S_COUNT))
        : (endpoint.profile + (client % 3)) % TLS12_JA3S_COUNT;
      const hello = ja3[client] as Fingerprint;
      const answer = ja3s[server] as Fingerprint;
      const v6 = endpoint.ip.includes(":");
      seen.addresses.add(endpoint.ip);
      if (v6) seen.ipv6.add(endpoint.ip);
      seen.endpoints.add(`${endpoint.ip} ${endpoint.port}`);
      seen.ja3.add(client);
      seen.ja3s.add(server);
      if (leaf === undefined) withoutCertificate++;
      else {
        seen.sightings.add(`${endpoint.ip} ${endpoint.port} ${leaf}`);
        seen.leaves.add(leaf);
        seen.issuers.add((leaves[leaf] as BenchLeaf).issuer);
      }
      const clientIp = v6
        ? `fd00:${(1 + draw.int(0xfffe)).toString(16)}::${(1 + draw.int(0xfffe)).toString(16)}`
        : `10.${draw.int(256)}.${draw.int(256)}.${1 + draw.int(254)}`;
      const time = start + Math.floor((i * SPAN_SECONDS) / sessions);
      return (
        `{"ServerIP":"${endpoint.ip}","ServerPort":"${endpoint.port}","ClientIP":"${clientIp}",` +
        `"ClientPort":"${32_768 + draw.int(28_232)}","TLSH":"${leaf === undefined ? "" : tlsh[leaf]}",` +
        `"Timestamp":"${goTimestamp(time, draw.int(1_000_000))}","JA3":"${hello.text}",` +
        `"JA3Digest":"${hello.digest}","JA3S":"${answer.text}","JA3SDigest":"${answer.digest}",` +
        `"Certificates":${leaf === undefined ? "null" : chains[leaf]}}`
      );
    },
    LINES_PER_WRITE,
  );

  const leavesByKey: Partial<Record<LeafKey, number>> = {};
  for (const leaf of seen.leaves) {
    const { key } = leaves[leaf] as BenchLeaf;
    leavesByKey[key] = (leavesByKey[key] ?? 0) + 1;
  }
  const perLeaf = new Map<string, number>();
  for (const sighting of seen.sightings) {
    const leaf = sighting.slice(sighting.lastIndexOf(" ") + 1);
    perLeaf.set(leaf, (perLeaf.get(leaf) ?? 0) + 1);
  }
  const spread = [...perLeaf.values()].sort((a, b) => b - a);
  const shape: TlsCorpusShape = {
    sessions,
    sessionsWithoutCertificate: withoutCertificate,
    certificates: seen.leaves.size + seen.issuers.size,
    leavesByKey,
    addresses: seen.addresses.size,
    ipv6Addresses: seen.ipv6.size,
    endpoints: seen.endpoints.size,
    sightings: seen.sightings.size,
    endpointsPerLeaf: {
      max: spread[0] ?? 0,
      median: spread[Math.floor(spread.length / 2)] ?? 0,
      min: spread.at(-1) ?? 0,
    },
    ja3: seen.ja3.size,
    ja3s: seen.ja3s.size,
    bytes,
  };
  const sha1s = (e: Endpoint) => e.leaves.map((l) => (leaves[l] as BenchLeaf).sha1);
  const blockAddresses: Record<string, string[]> = {};
  for (const endpoint of endpoints.slice(0, plantedEndpoints)) {
    blockAddresses[endpoint.ip] = [...(blockAddresses[endpoint.ip] ?? []), ...sha1s(endpoint)];
  }
  const popular = leaves[0] as BenchLeaf;
  const known: TlsKnown = {
    ip: `${BLOCK}.${KNOWN_HOST}`,
    ipCertificates: blockAddresses[`${BLOCK}.${KNOWN_HOST}`] ?? [],
    block: `${BLOCK}.0/24`,
    blockAddresses,
    cfetch: { sha1: popular.sha1, key: popular.key, pem: pem(popular.der) },
  };
  return { shape, known };
}
