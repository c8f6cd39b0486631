/**
 * The certificates of the passive SSL corpus: a small web PKI made once with the openssl CLI and cached
 * beside the corpora. A root (RSA 2048, never sent by servers, as in real chains) signs two issuing
 * CAs, "ECC E1" (EC P-384) and "RSA R1" (RSA 2048), which sign the leaves: mostly EC P-256, some
 * RSA 2048, shaped like the web's (DV with one name, wildcards, multi-name SAN certificates, a few OV
 * subjects). Keys are random, so the certificates differ from one machine to the next; everything
 * derived from them is deterministic once they exist, and the corpus file is named after their digest.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runToEnd } from "./children.js";
import { Vocabulary } from "./corpus-vocabulary.js";
import { Draw } from "./prng.js";
import { findOnPath } from "./redis-server.js";

export type LeafKey = "EC P-256" | "RSA 2048";

export interface BenchLeaf {
  der: Buffer;
  /** DER of the issuing CA, sent after the leaf. */
  issuer: Buffer;
  key: LeafKey;
  sha1: string;
}

export interface BenchPki {
  leaves: BenchLeaf[];
  /** SHA-1 of every leaf's SHA-1 in order: names the corpora made from these certificates. */
  digest: string;
  /** Seconds spent generating, or undefined when the certificates were already there. */
  generatedSeconds: number | undefined;
}

/** Bumped whenever the certificates' recipe changes. */
const PKI_VERSION = 1;
const RSA_SHARE = 0.15;
const PARALLEL = 4;
const OPENSSL_TIMEOUT_MS = 60_000;

const CA = { ecc: "ca-ecc-e1", rsa: "ca-rsa-r1" } as const;
type Issuer = keyof typeof CA;

/** Extension sections for `openssl req -x509 -config <this> -extensions <section>`. */
function opensslConfig(): string {
  const url = (host: string, path = "") => `URI:http://${host}.bench-pki.example/${path}`;
  const leaf = (issuer: Issuer, keyUsage: string) => [
    `[leaf_${issuer}]`,
    "basicConstraints = critical,CA:FALSE",
    `keyUsage = critical,${keyUsage}`,
    "extendedKeyUsage = serverAuth,clientAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
    `authorityInfoAccess = OCSP;${url(`${issuer}.o`)},caIssuers;${url(`${issuer}.i`, `${issuer}.der`)}`,
    `crlDistributionPoints = ${url(`${issuer}.c`, `${issuer}.crl`)}`,
    "certificatePolicies = 2.23.140.1.2.1",
  ];
  return [
    "[req]",
    "distinguished_name = dn",
    "[dn]",
    "[root]",
    "basicConstraints = critical,CA:TRUE",
    "keyUsage = critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier = hash",
    "[ca]",
    "basicConstraints = critical,CA:TRUE,pathlen:0",
    "keyUsage = critical,digitalSignature,keyCertSign,cRLSign",
    "extendedKeyUsage = serverAuth,clientAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
    `authorityInfoAccess = caIssuers;${url("x1.i", "x1.der")}`,
    `crlDistributionPoints = ${url("x1.c", "x1.crl")}`,
    "certificatePolicies = 2.23.140.1.2.1",
    ...leaf("ecc", "digitalSignature"),
    ...leaf("rsa", "digitalSignature,keyEncipherment"),
    "",
  ].join("\n");
}

interface LeafPlan {
  file: string;
  issuer: Issuer;
  subject: string;
  names: string[];
  days: number;
}

const ORG_FORMS = ["SA", "S.A.", "GmbH", "Ltd", "Inc.", "BV", "SARL", "AG"];
const CITIES: ReadonlyArray<readonly [string, string]> = [
  ["LU", "Luxembourg"],
  ["DE", "Berlin"],
  ["FR", "Paris"],
  ["BE", "Brussels"],
  ["NL", "Amsterdam"],
  ["US", "San Francisco"],
];

/** Subjects and names of `count` leaves, drawn from `seed`. */
function planLeaves(count: number, seed: number): LeafPlan[] {
  const draw = new Draw(seed);
  const vocabulary = new Vocabulary(draw, { domains: count, ipv4: 0, ipv6: 0, cdnHosts: 0, dnsProviders: 0 });
  return vocabulary.domains.map((domain, i) => {
    const kind = draw.float();
    const issuer: Issuer = draw.float() < RSA_SHARE ? "rsa" : "ecc";
    const hosts = new Set<string>();
    let common: string;
    let subject = "";
    let days = 90;
    if (kind < 0.55) {
      common = `www.${domain}`;
      hosts.add(common).add(domain);
    } else if (kind < 0.75) {
      common = `*.${domain}`;
      hosts.add(common).add(domain);
    } else if (kind < 0.9) {
      common = `${vocabulary.hostLabel()}.${domain}`;
      hosts.add(common);
      for (let n = 2 + draw.int(7); hosts.size < n; ) hosts.add(`${vocabulary.hostLabel()}.${domain}`);
    } else {
      common = `www.${domain}`;
      hosts.add(common).add(domain).add(`${vocabulary.hostLabel()}.${domain}`);
      const [country, city] = draw.pick(CITIES);
      const word = vocabulary.word(2);
      const organization = `${word[0]?.toUpperCase()}${word.slice(1)} ${draw.pick(ORG_FORMS)}`;
      subject = `/C=${country}/L=${city}/O=${organization}`;
      days = 397;
    }
    return {
      file: `leaf-${String(i).padStart(4, "0")}.der`,
      issuer,
      subject: `${subject}/CN=${common}`,
      names: [...hosts],
      days,
    };
  });
}

/** Runs `jobs` with at most `parallel` at a time. */
async function inParallel(jobs: ReadonlyArray<() => Promise<unknown>>, parallel: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await (jobs[next++] as () => Promise<unknown>)();
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function generate(dir: string, plans: readonly LeafPlan[]): Promise<void> {
  const openssl = findOnPath("openssl");
  if (!openssl) throw new Error("the passive SSL corpus needs the openssl CLI on PATH");
  const config = join(dir, "openssl.cnf");
  await writeFile(config, opensslConfig());
  const req = (args: string[]) =>
    runToEnd(openssl, ["req", "-x509", "-nodes", "-config", config, ...args], {
      cwd: dir,
      timeoutMs: OPENSSL_TIMEOUT_MS,
    });
  const rsa = ["-newkey", "rsa:2048"];
  const ec = (curve: string) => ["-newkey", "ec", "-pkeyopt", `ec_paramgen_curve:${curve}`];
  const subject = (name: string) => ["-subj", `/C=LU/O=Bench Trust Services/CN=${name}`];
  const rootFiles = ["-keyout", "root.key", "-out", "root.pem", "-days", "3650", "-extensions", "root"];
  await req([...rsa, ...rootFiles, ...subject("Bench Root X1")]);
  const signedByRoot = (file: string) => [
    ...["-keyout", `${file}.key`, "-out", `${file}.pem`, "-CA", "root.pem", "-CAkey", "root.key"],
    ...["-days", "1095", "-extensions", "ca"],
  ];
  await Promise.all([
    req([...ec("P-384"), ...signedByRoot(CA.ecc), ...subject("Bench ECC CA E1")]),
    req([...rsa, ...signedByRoot(CA.rsa), ...subject("Bench RSA CA R1")]),
  ]);
  const jobs = plans.map((plan) => () => {
    const ca = CA[plan.issuer];
    const key = plan.issuer === "ecc" ? [...ec("P-256"), "-sha384"] : rsa;
    return req([
      ...key,
      ...["-keyout", "/dev/null", "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-days", `${plan.days}`],
      ...["-subj", plan.subject, "-addext", `subjectAltName=${plan.names.map((n) => `DNS:${n}`).join(",")}`],
      ...["-extensions", `leaf_${plan.issuer}`, "-outform", "DER", "-out", plan.file],
    ]);
  });
  await inParallel(jobs, PARALLEL);
}

/** The `count` leaves for `seed`, generated into `dir` unless they are there already. */
export async function benchPki(dir: string, count: number, seed: number): Promise<BenchPki> {
  const pkiDir = join(dir, `tls-pki-${count}-s${seed}-v${PKI_VERSION}`);
  const plans = planLeaves(count, seed);
  let generatedSeconds: number | undefined;
  if (!existsSync(pkiDir)) {
    const started = process.hrtime.bigint();
    const partial = `${pkiDir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    await generate(partial, plans);
    await rename(partial, pkiDir);
    generatedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  }
  const derOf = async (name: string) => new X509Certificate(await readFile(join(pkiDir, `${name}.pem`))).raw;
  const issuers = { ecc: await derOf(CA.ecc), rsa: await derOf(CA.rsa) };
  const leaves: BenchLeaf[] = [];
  const digest = createHash("sha1");
  for (const plan of plans) {
    const der = await readFile(join(pkiDir, plan.file));
    const sha1 = createHash("sha1").update(der).digest("hex");
    digest.update(sha1);
    leaves.push({
      der,
      issuer: issuers[plan.issuer],
      key: plan.issuer === "ecc" ? "EC P-256" : "RSA 2048",
      sha1,
    });
  }
  return { leaves, digest: digest.digest("hex"), generatedSeconds };
}
