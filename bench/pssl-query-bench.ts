/**
 * Passive SSL queries over real HTTP: CIRCL's `query/<ip>` for an address with a few certificates,
 * `cfetch/<sha1>` for the most widespread certificate, and `query/<ip>/24` over a block with data at
 * 40 of its addresses, each answer checked once before autocannon loads it.
 */
import { type LoadFigures, type LoadOptions, measureLoad, warmUp } from "./query-bench.js";
import type { TlsKnown } from "./tls-corpus.js";

export type PsslQueryKind = "query/<ip>" | "cfetch/<sha1>" | "query/<ip>/24";

export const PSSL_QUERIES: readonly PsslQueryKind[] = ["query/<ip>", "cfetch/<sha1>", "query/<ip>/24"];

export interface PsslQueryFigures extends LoadFigures {
  query: PsslQueryKind;
}

function pathOf(kind: PsslQueryKind, known: TlsKnown): string {
  if (kind === "query/<ip>") return `/v2pssl/query/${known.ip}`;
  if (kind === "cfetch/<sha1>") return `/v2pssl/cfetch/${known.cfetch.sha1}`;
  return `/v2pssl/query/${known.block}`;
}

async function answerOf(baseUrl: string, kind: PsslQueryKind, known: TlsKnown, authorization: string) {
  const response = await fetch(`${baseUrl}${pathOf(kind, known)}`, { headers: { authorization } });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${kind}: HTTP ${response.status} ${body.slice(0, 200)}`);
  return JSON.parse(body) as unknown;
}

type QueryAnswer = Record<string, { certificates: string[]; subjects: Record<string, { values: string[] }> }>;

/** Throws unless `answer` lists exactly the addresses of `expected`, each with exactly its certificates. */
function checkQueryAnswer(kind: PsslQueryKind, answer: QueryAnswer, expected: Record<string, string[]>) {
  const addresses = Object.keys(answer).sort();
  const wanted = Object.keys(expected).sort();
  if (addresses.join() !== wanted.join()) {
    throw new Error(`${kind}: expected ${wanted.length} addresses, got ${addresses.length}`);
  }
  for (const [ip, sha1s] of Object.entries(expected)) {
    const entry = answer[ip];
    const listed = [...(entry?.certificates ?? [])].sort();
    if (listed.join() !== [...sha1s].sort().join()) {
      throw new Error(`${kind}: ${ip} should list ${sha1s.length} certificates, got ${listed.length}`);
    }
    for (const sha1 of sha1s) {
      if (!entry?.subjects[sha1]?.values[0]?.includes("CN=")) {
        throw new Error(`${kind}: ${ip} has no subject for ${sha1}`);
      }
    }
  }
}

/** Throws unless each query answers what the corpus planted. */
export async function checkPsslAnswers(baseUrl: string, authorization: string, known: TlsKnown) {
  const one = (await answerOf(baseUrl, "query/<ip>", known, authorization)) as QueryAnswer;
  checkQueryAnswer("query/<ip>", one, { [known.ip]: known.ipCertificates });
  const block = (await answerOf(baseUrl, "query/<ip>/24", known, authorization)) as QueryAnswer;
  checkQueryAnswer("query/<ip>/24", block, known.blockAddresses);
  const fetched = (await answerOf(baseUrl, "cfetch/<sha1>", known, authorization)) as {
    pem?: string;
    info?: { fingerprint?: string };
  };
  const bare = (pem: string | undefined) => pem?.replace(/\s+/g, "");
  if (bare(fetched.pem) !== bare(known.cfetch.pem)) {
    throw new Error("cfetch/<sha1>: not the certificate's PEM");
  }
  const fingerprint = fetched.info?.fingerprint;
  if (fingerprint !== known.cfetch.sha1.toUpperCase()) {
    throw new Error(`cfetch/<sha1>: fingerprint ${fingerprint}, expected the SHA-1 in capitals`);
  }
}

/** Warms each query up, then loads each for `seconds` at `connections` connections. */
export async function loadPsslQueries(
  baseUrl: string,
  authorization: string,
  known: TlsKnown,
  options: LoadOptions,
): Promise<PsslQueryFigures[]> {
  for (const kind of PSSL_QUERIES) await warmUp(`${baseUrl}${pathOf(kind, known)}`, authorization, options);
  const figures: PsslQueryFigures[] = [];
  for (const kind of PSSL_QUERIES) {
    const url = `${baseUrl}${pathOf(kind, known)}`;
    figures.push({ query: kind, ...(await measureLoad(url, authorization, options)) });
  }
  return figures;
}
