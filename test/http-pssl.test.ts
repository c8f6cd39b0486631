/**
 * Passive SSL end to end, as a user runs it: the real CLI creates users and tokens and imports the real
 * TLS sensor samples (ja3-jl and Suricata EVE, the same 58 sessions each) while the real server runs on a
 * socket; the CIRCL pssl queries and the extended routes go over HTTP. Every expected value comes from
 * the sample files or from expected-pssl.json.
 */
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable } from "./helpers/backends.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

interface ExpectedCertificate {
  name: string;
  der_file: string;
  sha1: string;
  sha256: string;
  subject_rfc2253: string;
  subject_circl: string;
  issuer_circl: string;
  not_before_iso: string;
  not_after_iso: string;
  key_bits: number;
  san: string;
}

interface Ja3JlRecord {
  Timestamp: string;
  ServerIP: string;
  ServerPort: string;
  JA3: string;
  JA3Digest: string;
  JA3S: string;
  JA3SDigest: string;
  Certificates: Array<{ Raw: string }> | null;
}

interface EveRecord {
  timestamp: string;
  dest_ip: string;
  dest_port: number;
  tls: {
    certificate?: string;
    chain?: string[];
    ja3: { hash: string; string: string };
    ja3s: { hash: string; string: string };
  };
}

/** One session of a sample file, as the server should have recorded it. */
interface SampleSession {
  time: number;
  ip: string;
  port: number;
  /** SHA-1s of the distinct certificates sent, leaf first. */
  chain: string[];
  ja3: string;
  ja3Text: string;
  ja3s: string;
  ja3sText: string;
}

interface Seen {
  first_seen: number;
  last_seen: number;
  count: number;
}

type QueryAnswer = Record<string, { certificates: string[]; subjects: Record<string, { values: string[] }> }>;

interface CfetchAnswer {
  pem: string;
  info: {
    subject: string;
    issuer: string;
    fingerprint: string;
    keylength: number;
    key: string;
    not_before: string;
    not_after: string;
    extension: Record<string, string>;
  };
}

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const JA3_JL = new URL("ja3-jl-with-ipv6.ndjson", SAMPLES).pathname;
const EVE = new URL("suricata-eve-tls.ndjson", SAMPLES).pathname;
const EXPECTED: ExpectedCertificate[] = JSON.parse(
  readFileSync(new URL("expected-pssl.json", SAMPLES), "utf8"),
);
const BAD_FINGERPRINT = "Incorrect format of the certificate fingerprint (expected SHA1 in hex format)";

const sha1Of = (base64: string) => createHash("sha1").update(Buffer.from(base64, "base64")).digest("hex");

/** Epoch seconds of an RFC 3339 or Suricata (`+0000`) timestamp, fraction dropped. */
const epochOf = (text: string) => Math.floor(Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2")) / 1000);

function lines(path: string): string[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

const ja3JlLines = lines(JA3_JL);
const eveLines = lines(EVE);

const ja3JlSessions: SampleSession[] = ja3JlLines.map((line) => {
  const o = JSON.parse(line) as Ja3JlRecord;
  return {
    time: epochOf(o.Timestamp),
    ip: o.ServerIP,
    port: Number(o.ServerPort),
    chain: [...new Set((o.Certificates ?? []).map((c) => sha1Of(c.Raw)))],
    ja3: o.JA3Digest,
    ja3Text: o.JA3,
    ja3s: o.JA3SDigest,
    ja3sText: o.JA3S,
  };
});

const eveSessions: SampleSession[] = eveLines.map((line) => {
  const o = JSON.parse(line) as EveRecord;
  const der = [o.tls.certificate, ...(o.tls.chain ?? [])].filter((c): c is string => c !== undefined);
  return {
    time: epochOf(o.timestamp),
    ip: o.dest_ip,
    port: o.dest_port,
    chain: [...new Set(der.map(sha1Of))],
    ja3: o.tls.ja3.hash,
    ja3Text: o.tls.ja3.string,
    ja3s: o.tls.ja3s.hash,
    ja3sText: o.tls.ja3s.string,
  };
});

/** Both files are ingested into the same store. */
const allSessions = [...ja3JlSessions, ...eveSessions];

/** Counts and first/last seen of the sessions grouped by `keyOf` (undefined: not counted). */
function tally(sessions: SampleSession[], keyOf: (s: SampleSession) => string | undefined) {
  const seen = new Map<string, Seen>();
  for (const s of sessions) {
    const key = keyOf(s);
    if (key === undefined) continue;
    const known = seen.get(key);
    if (!known) seen.set(key, { first_seen: s.time, last_seen: s.time, count: 1 });
    else {
      known.first_seen = Math.min(known.first_seen, s.time);
      known.last_seen = Math.max(known.last_seen, s.time);
      known.count++;
    }
  }
  return seen;
}

/** The leaf certificates seen at an address: Certificates[0].Raw of each session there. */
function leavesAt(ip: string): string[] {
  return [...new Set(allSessions.filter((s) => s.ip === ip).flatMap((s) => s.chain.slice(0, 1)))].sort();
}

function expectedCertificate(sha1: string): ExpectedCertificate {
  const found = EXPECTED.find((e) => e.sha1 === sha1);
  if (!found) throw new Error(`no reference for certificate ${sha1}`);
  return found;
}

const byName = (name: string) => {
  const found = EXPECTED.find((e) => e.name === name);
  if (!found) throw new Error(`no reference named ${name}`);
  return found;
};

/** The SAN DNS names of a certificate, lowercased, in order. */
function dnsNamesOf(e: ExpectedCertificate): string[] {
  return e.san
    .split(", ")
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4).toLowerCase());
}

/** Names a certificate is found under: its SAN DNS names and subject CN, lowercased. */
function namesOf(e: ExpectedCertificate): string[] {
  const cn = /(?:^|,)CN=((?:\\.|[^,\\])*)/.exec(e.subject_rfc2253)?.[1];
  return cn === undefined ? dnsNamesOf(e) : [...dnsNamesOf(e), cn.toLowerCase()];
}

/** `2027-12-28T04:14:39Z` → CIRCL's `2027-12-28T04:14:39+00:00`. */
const circlTime = (iso: string) => iso.replace(/Z$/, "+00:00");

function pemFileOf(e: ExpectedCertificate): string {
  return readFileSync(new URL(e.der_file.replace(/\.der$/, ".pem"), SAMPLES), "utf8").replace(/\r\n/g, "\n");
}

async function expectPlain400(res: Response, message: string): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  expect(await res.text()).toBe(message);
}

async function expectJson400(res: Response): Promise<void> {
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await res.json()).toMatchObject({ code: "bad_request", message: expect.any(String) });
}

const byIpPort = (a: { ip: string; port: number }, b: { ip: string; port: number }) =>
  a.ip.localeCompare(b.ip) || a.port - b.port;

/** Certificates sent in the samples, every chain included. */
const sentCertificates = new Set(allSessions.flatMap((s) => s.chain));
const rootCa = byName("ca-root");
const leaf1 = byName("leaf1-rsa");
const leaf5 = byName("leaf5-utf8");

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`HTTP passive SSL API [${backend}]`, () => {
    let server: TestServer;
    let base = "";
    let analystToken = "";
    let sensorToken = "";

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { headers: { authorization: basic("alice", analystToken), ...headers } });
    const getJson = async <T>(path: string): Promise<T> => {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      return (await res.json()) as T;
    };

    const cli = (...args: string[]) => server.cli(...args);

    beforeAll(async () => {
      server = await startTestServer(backend);
      ({ base, analystToken, sensorToken } = server);

      for (const [format, file, sessions] of [
        ["ja3-jl", JA3_JL, ja3JlSessions],
        ["eve", EVE, eveSessions],
      ] as const) {
        const summary = JSON.parse(
          (await cli("ingest", format, file, "--sensor-id", "tls-1", "--json")).stdout,
        );
        expect(summary).toEqual({
          lines: 58,
          sessions: 58,
          skipped: 0,
          certificates: new Set(sessions.flatMap((s) => s.chain)).size,
          rejected: {},
          firstRejects: [],
        });
      }
    }, 60_000);

    afterAll(() => server?.close());

    describe("cfetch", () => {
      it("covers every certificate sent (five leaves and the issuing CA), never the root", () => {
        expect([...sentCertificates].sort()).toEqual(
          EXPECTED.filter((e) => e.name !== "ca-root")
            .map((e) => e.sha1)
            .sort(),
        );
      });

      for (const e of EXPECTED.filter((c) => c.name !== "ca-root")) {
        it(`gives ${e.name}'s PEM and info as CIRCL prints them, by SHA-1 and by SHA-256`, async () => {
          const answer = await getJson<CfetchAnswer>(`/v2pssl/cfetch/${e.sha1}`);
          const pem = pemFileOf(e);
          expect(answer.pem).toBe(pem);
          expect(answer.info).toMatchObject({
            subject: e.subject_circl,
            issuer: e.issuer_circl,
            fingerprint: e.sha1.toUpperCase(),
            keylength: e.key_bits,
            not_before: circlTime(e.not_before_iso),
            not_after: circlTime(e.not_after_iso),
          });
          expect(Number.isInteger(answer.info.keylength)).toBe(true);
          expect(answer.info.not_after).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
          expect(answer.info.key).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
          expect(answer.info.key).toBe(
            new X509Certificate(pem).publicKey.export({ type: "spki", format: "pem" }).toString(),
          );
          if (e.san === "") expect(answer.info.extension).not.toHaveProperty("subjectAltName");
          else expect(answer.info.extension.subjectAltName).toBe(e.san);

          expect(await getJson<CfetchAnswer>(`/v2pssl/cfetch/${e.sha256}`)).toEqual(answer);
          expect(await getJson<CfetchAnswer>(`/v2pssl/cfetch/${e.sha1.toUpperCase()}`)).toEqual(answer);
        });
      }

      it("answers 400 Not existing certificate for the root CA, never sent", async () => {
        expect(sentCertificates.has(rootCa.sha1)).toBe(false);
        await expectPlain400(await get(`/v2pssl/cfetch/${rootCa.sha1}`), "Not existing certificate");
        await expectPlain400(await get(`/v2pssl/cfetch/${rootCa.sha256}`), "Not existing certificate");
      });

      it("answers 400 in plain text for an unknown or malformed fingerprint", async () => {
        await expectPlain400(await get(`/v2pssl/cfetch/${"ab".repeat(20)}`), "Not existing certificate");
        await expectPlain400(await get(`/v2pssl/cfetch/${"cd".repeat(32)}`), "Not existing certificate");
        for (const bad of ["not-a-sha1", leaf1.sha1.slice(1), `${leaf1.sha1}0`, "g".repeat(40), "%ZZ"]) {
          await expectPlain400(await get(`/v2pssl/cfetch/${bad}`), BAD_FINGERPRINT);
        }
        await expectPlain400(await get("/v2pssl/query/%ZZ"), "Incorrect format");
      });

      it("takes a colon-separated fingerprint and a trailing slash like the bare form", async () => {
        const bare = await getJson<unknown>(`/v2pssl/cfetch/${leaf1.sha1}`);
        const colons = leaf1.sha1.match(/../g)?.join(":").toUpperCase();
        expect(await getJson<unknown>(`/v2pssl/cfetch/${colons}`)).toEqual(bare);
        expect(await getJson<unknown>(`/v2pssl/cfetch/${leaf1.sha1}/`)).toEqual(bare);
        expect(await getJson<unknown>(`/v2pssl/cquery/${colons}`)).toEqual(
          await getJson<unknown>(`/v2pssl/cquery/${leaf1.sha1}`),
        );
      });
    });

    describe("query", () => {
      for (const ip of ["127.0.0.1", "::1"]) {
        it(`lists exactly the certificates seen at ${ip}, with their subjects`, async () => {
          const expected = leavesAt(ip);
          expect(expected.length).toBeGreaterThan(0);
          const answer = await getJson<QueryAnswer>(`/v2pssl/query/${ip}`);
          expect(Object.keys(answer)).toEqual([ip]);
          const entry = answer[ip];
          expect([...(entry?.certificates ?? [])].sort()).toEqual(expected);
          expect(entry?.certificates).toHaveLength(expected.length);
          expect(Object.keys(entry?.subjects ?? {}).sort()).toEqual(expected);
          for (const sha1 of expected) {
            expect(entry?.subjects[sha1]?.values[0]).toBe(expectedCertificate(sha1).subject_circl);
          }
        });
      }

      it("answers a block with the addresses that have data only", async () => {
        const single = await getJson<QueryAnswer>("/v2pssl/query/127.0.0.1");
        expect(await getJson<QueryAnswer>("/v2pssl/query/127.0.0.0/24")).toEqual(single);
        expect(await getJson<QueryAnswer>("/v2pssl/query/127.0.0.0/23")).toEqual(single);
        const v6 = await getJson<QueryAnswer>("/v2pssl/query/::1");
        expect(await getJson<QueryAnswer>("/v2pssl/query/::/120")).toEqual(v6);
      });

      it("answers {} where nothing was seen", async () => {
        expect(await getJson<QueryAnswer>("/v2pssl/query/192.0.2.1")).toEqual({});
        expect(await getJson<QueryAnswer>("/v2pssl/query/192.0.2.0/24")).toEqual({});
        expect(await getJson<QueryAnswer>("/v2pssl/query/2001:db8::1")).toEqual({});
      });

      it("refuses wide blocks and non-addresses with CIRCL's plain-text 400", async () => {
        await expectPlain400(await get("/v2pssl/query/127.0.0.0/16"), "Maximum CIDR block size reached >/23");
        await expectPlain400(await get("/v2pssl/query/127.0.0.0/22"), "Maximum CIDR block size reached >/23");
        await expectPlain400(await get("/v2pssl/query/not-an-ip"), "Incorrect format");
        await expectPlain400(await get("/v2pssl/query/127.0.0.256"), "Incorrect format");
        await expectPlain400(await get("/v2pssl/query/127.0.0.0/33"), "Incorrect format");
      });

      it("answers the legacy /pssl/query as /v2pssl/query", async () => {
        for (const q of ["127.0.0.1", "::1", "127.0.0.0/24", "192.0.2.1"]) {
          const legacy = await getJson<QueryAnswer>(`/pssl/query/${q}`);
          expect(legacy).toEqual(await getJson<QueryAnswer>(`/v2pssl/query/${q}`));
        }
        await expectPlain400(await get("/pssl/query/127.0.0.0/16"), "Maximum CIDR block size reached >/23");
      });
    });

    describe("cquery", () => {
      it("lists the addresses where a leaf was seen, by SHA-1 and by SHA-256", async () => {
        for (const e of [leaf1, leaf5]) {
          const ips = [...new Set(allSessions.filter((s) => s.chain[0] === e.sha1).map((s) => s.ip))].sort();
          expect(ips.length).toBeGreaterThan(0);
          const answer = await getJson<{ certificate: string; seen: string[]; hits: number }>(
            `/v2pssl/cquery/${e.sha1}`,
          );
          expect(answer).toEqual({ certificate: e.sha1, seen: expect.any(Array), hits: ips.length });
          expect([...answer.seen].sort()).toEqual(ips);
          expect(await getJson(`/v2pssl/cquery/${e.sha256}`)).toEqual(answer);
          expect(await getJson(`/v2pssl/cquery/${e.sha1.toUpperCase()}`)).toEqual(answer);
        }
      });

      it("answers an unknown well-formed SHA-1 with 200 and no hits", async () => {
        const unknown = "0123456789abcdef0123456789abcdef01234567";
        expect(await getJson(`/v2pssl/cquery/${unknown}`)).toEqual({
          certificate: unknown,
          seen: [],
          hits: 0,
        });
      });

      it("refuses a malformed fingerprint with CIRCL's plain-text 400", async () => {
        for (const bad of ["nope", leaf1.sha1.slice(2), "z".repeat(40)]) {
          await expectPlain400(await get(`/v2pssl/cquery/${bad}`), BAD_FINGERPRINT);
        }
      });
    });

    describe("extended routes", () => {
      it("lists each (certificate, port) at an address with integer first/last seen and counts", async () => {
        for (const ip of ["127.0.0.1", "::1"]) {
          const expected = [
            ...tally(
              allSessions.filter((s) => s.ip === ip),
              (s) => (s.chain[0] === undefined ? undefined : `${s.chain[0]} ${s.port}`),
            ),
          ]
            .map(([key, seen]) => {
              const [certificate, port] = key.split(" ");
              return { certificate, port: Number(port), ...seen };
            })
            .sort((a, b) => (a.certificate ?? "").localeCompare(b.certificate ?? "") || a.port - b.port);
          expect(expected.length).toBeGreaterThan(0);
          const answer = await getJson<Record<string, Array<{ certificate: string; port: number } & Seen>>>(
            `/v2pssl/sightings/${ip}`,
          );
          expect(Object.keys(answer)).toEqual([ip]);
          expect(answer[ip]).toEqual(expected);
          for (const s of answer[ip] ?? []) {
            for (const n of [s.first_seen, s.last_seen, s.count]) expect(Number.isInteger(n)).toBe(true);
          }
        }
        expect(await getJson("/v2pssl/sightings/192.0.2.0/24")).toEqual({});
        await expectJson400(await get("/v2pssl/sightings/127.0.0.0/16"));
        await expectJson400(await get("/v2pssl/sightings/not-an-ip"));
      });

      it("lists every (address, port) where a certificate was seen, by SHA-1 and by SHA-256", async () => {
        for (const e of [leaf1, leaf5]) {
          const expected = [
            ...tally(allSessions, (s) => (s.chain[0] === e.sha1 ? `${s.ip} ${s.port}` : undefined)),
          ]
            .map(([key, seen]) => {
              const [ip = "", port] = key.split(" ");
              return { ip, port: Number(port), ...seen };
            })
            .sort(byIpPort);
          const answer = await getJson<{
            certificate: string;
            sightings: Array<{ ip: string; port: number } & Seen>;
            truncated: boolean;
          }>(`/v2pssl/csightings/${e.sha1}`);
          expect(answer.certificate).toBe(e.sha1);
          expect(answer.truncated).toBe(false);
          expect([...answer.sightings].sort(byIpPort)).toEqual(expected);
          expect(await getJson(`/v2pssl/csightings/${e.sha256}`)).toEqual(answer);
        }
        await expectJson400(await get("/v2pssl/csightings/not-a-fingerprint"));
      });

      for (const kind of ["ja3", "ja3s"] as const) {
        it(`gives a ${kind.toUpperCase()}'s string and every endpoint it was seen at`, async () => {
          const first = ja3JlSessions[0];
          if (!first) throw new Error("empty sample");
          const digest = kind === "ja3" ? first.ja3 : first.ja3s;
          const text = kind === "ja3" ? first.ja3Text : first.ja3sText;
          const matching = allSessions.filter((s) => (kind === "ja3" ? s.ja3 : s.ja3s) === digest);
          const expected = [...tally(matching, (s) => `${s.ip} ${s.port} ${s.chain[0] ?? ""}`)]
            .map(([key, seen]) => {
              const [ip = "", port, certificate] = key.split(" ");
              return { ip, port: Number(port), certificate: certificate || null, ...seen };
            })
            .sort((a, b) => byIpPort(a, b) || (a.certificate ?? "").localeCompare(b.certificate ?? ""));
          const answer = await getJson<{
            string: string;
            sightings: Array<{ ip: string; port: number; certificate: string | null } & Seen>;
            truncated: boolean;
          }>(`/v2pssl/${kind}/${digest}`);
          expect(answer).toMatchObject({ [kind]: digest, string: text, truncated: false });
          const sorted = [...answer.sightings].sort(
            (a, b) => byIpPort(a, b) || (a.certificate ?? "").localeCompare(b.certificate ?? ""),
          );
          expect(sorted).toEqual(expected);
          expect(answer.sightings.map((s) => s.port)).toContain(first.port);
          expect(await getJson(`/v2pssl/${kind}/${digest.toUpperCase()}`)).toEqual(answer);

          const unknown = "0".repeat(32);
          expect(await getJson(`/v2pssl/${kind}/${unknown}`)).toEqual({
            [kind]: unknown,
            string: null,
            sightings: [],
            truncated: false,
          });
          for (const bad of ["xyz", digest.slice(1), `${digest}0`]) {
            await expectJson400(await get(`/v2pssl/${kind}/${bad}`));
          }
        });
      }

      it("finds certificates by exact name and by everything under a domain", async () => {
        type Found = {
          sha1: string;
          subject: string | null;
          issuer: string | null;
          not_before: string | null;
          not_after: string | null;
          names: string[];
        };
        type SearchAnswer = { query: string; certificates: Found[]; truncated: boolean };
        const search = (q: string) => getJson<SearchAnswer>(`/v2pssl/csearch/${q}`);
        const sha1s = (answer: SearchAnswer) => answer.certificates.map((c) => c.sha1).sort();
        const named = (test: (name: string) => boolean) =>
          EXPECTED.filter((e) => sentCertificates.has(e.sha1) && namesOf(e).some(test))
            .map((e) => e.sha1)
            .sort();

        const exact = await search("www.example.lu");
        expect(exact).toMatchObject({ query: "www.example.lu", truncated: false });
        expect(sha1s(exact)).toEqual(named((n) => n === "www.example.lu"));
        expect(sha1s(exact)).toEqual([leaf1.sha1]);
        expect(exact.certificates[0]).toEqual({
          sha1: leaf1.sha1,
          subject: leaf1.subject_circl,
          issuer: leaf1.issuer_circl,
          not_before: circlTime(leaf1.not_before_iso),
          not_after: circlTime(leaf1.not_after_iso),
          names: dnsNamesOf(leaf1),
        });
        expect(sha1s(await search("WWW.Example.LU."))).toEqual([leaf1.sha1]);

        const under = await search("*.example.lu");
        expect(under).toMatchObject({ query: "*.example.lu", truncated: false });
        const expectedUnder = named((n) => n.endsWith(".example.lu"));
        expect(expectedUnder.length).toBeGreaterThan(1);
        expect(sha1s(under)).toEqual(expectedUnder);
        for (const found of under.certificates) {
          expect(found.subject).toBe(expectedCertificate(found.sha1).subject_circl);
        }
        expect(sha1s(await search("%2A.example.lu"))).toEqual(expectedUnder);

        expect((await search("nothing.example.org")).certificates).toEqual([]);
        await expectJson400(await get("/v2pssl/csearch/*.lu"));
        await expectJson400(await get("/v2pssl/csearch/*.*.lu"));
        await expectJson400(await get("/v2pssl/csearch/bad..name"));
      });
    });

    describe("authentication", () => {
      const routes = [
        "/v2pssl/query/127.0.0.1",
        "/pssl/query/127.0.0.1",
        `/v2pssl/cquery/${leaf1.sha1}`,
        `/v2pssl/cfetch/${leaf1.sha1}`,
        "/v2pssl/sightings/127.0.0.1",
        `/v2pssl/csightings/${leaf1.sha1}`,
        `/v2pssl/ja3/${"0".repeat(32)}`,
        `/v2pssl/ja3s/${"0".repeat(32)}`,
        "/v2pssl/csearch/www.example.lu",
      ];

      it("answers 401 with a Basic challenge to every pssl route without credentials", async () => {
        for (const route of routes) {
          const res = await fetch(`${base}${route}`);
          expect(res.status, route).toBe(401);
          expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
        }
      });

      it("answers 403 to a sensor's valid token, 200 to an analyst's bare token", async () => {
        for (const route of routes) {
          expect((await get(route, { authorization: basic("probe", sensorToken) })).status, route).toBe(403);
          expect((await get(route, { authorization: analystToken })).status, route).toBe(200);
        }
      });
    });

    // Last: it adds sightings of sample certificates at other addresses.
    it("ingests around malformed lines, counting each reason, and serves the valid sessions", async () => {
      const dir = await mkdtemp(join(tmpdir(), "pp-pssl-bad-"));
      try {
        const withIp = (line: string, ip: string) => {
          const changed = line.replace('"ServerIP":"127.0.0.1"', `"ServerIP":"${ip}"`);
          expect(changed).not.toBe(line);
          return changed;
        };
        const lineOf = (name: string) => ja3JlSessions.findIndex((s) => s.chain[0] === byName(name).sha1);
        const leaf2Line = ja3JlLines[lineOf("leaf2-ecdsa")];
        const leaf3Line = ja3JlLines[lineOf("leaf3-selfsigned")];
        if (!leaf2Line || !leaf3Line) throw new Error("sample lines not found");
        const validChains = [lineOf("leaf2-ecdsa"), lineOf("leaf3-selfsigned")].flatMap(
          (i) => ja3JlSessions[i]?.chain ?? [],
        );
        const badRaw = withIp(leaf2Line, "198.51.100.11").replace(/"Raw":"[^"]*"/, '"Raw":"@@not base64@@"');
        const badPort = withIp(leaf2Line, "198.51.100.12").replace(
          /"ServerPort":"\d+"/,
          '"ServerPort":"70000"',
        );
        const ja3Lines = [
          withIp(leaf2Line, "198.51.100.7"),
          "{not json",
          withIp(leaf2Line, "999.1.1.1"),
          badRaw,
          withIp(leaf3Line, "198.51.100.8"),
          "[1,2]",
          badPort,
        ];
        const ja3File = join(dir, "bad.ndjson");
        await writeFile(ja3File, `${ja3Lines.join("\n")}\n`);
        const ja3Summary = JSON.parse((await cli("ingest", "ja3-jl", ja3File, "--json")).stdout);
        expect(ja3Summary).toEqual({
          lines: 7,
          sessions: 2,
          skipped: 0,
          certificates: new Set(validChains).size,
          rejected: { bad_json: 1, bad_ip: 1, bad_certificate_encoding: 1, not_an_object: 1, bad_port: 1 },
          firstRejects: expect.any(Array),
        });
        expect(
          ja3Summary.firstRejects.map((r: { line: number; reason: string }) => [r.line, r.reason]),
        ).toEqual([
          [2, "bad_json"],
          [3, "bad_ip"],
          [4, "bad_certificate_encoding"],
          [6, "not_an_object"],
          [7, "bad_port"],
        ]);

        const eve = JSON.parse(eveLines[0] ?? "") as EveRecord & Record<string, unknown>;
        const { certificate: _c, chain: _ch, ...withoutDer } = eve.tls;
        const unknownSha1 = "5a".repeat(20);
        const eveEvents = [
          { timestamp: eve.timestamp, event_type: "dns", src_ip: "127.0.0.1", dest_ip: "127.0.0.53" },
          { ...eve, dest_ip: "198.51.100.9" },
          // Only the fingerprint of a certificate stored from DER: the DER facts must stay.
          { ...eve, dest_ip: "198.51.100.13", tls: withoutDer },
          {
            ...eve,
            dest_ip: "198.51.100.10",
            tls: {
              ...withoutDer,
              fingerprint: unknownSha1.replace(/(..)(?!$)/g, "$1:"),
              subject: "C=LU, CN=fingerprint-only.example.lu",
            },
          },
          { ...eve, timestamp: "yesterday", dest_ip: "198.51.100.14" },
          { timestamp: eve.timestamp, event_type: "flow" },
        ];
        const eveFile = join(dir, "bad-eve.ndjson");
        await writeFile(eveFile, eveEvents.map((e) => `${JSON.stringify(e)}\n`).join(""));
        const eveSummary = JSON.parse((await cli("ingest", "eve", eveFile, "--json")).stdout);
        expect(eveSummary).toEqual({
          lines: 6,
          sessions: 3,
          skipped: 2,
          certificates: new Set(eveSessions[0]?.chain).size,
          rejected: { bad_timestamp: 1 },
          firstRejects: [{ line: 5, reason: "bad_timestamp", detail: expect.any(String) }],
        });

        const block = await getJson<QueryAnswer>("/v2pssl/query/198.51.100.0/24");
        expect(Object.keys(block).sort()).toEqual(
          ["198.51.100.7", "198.51.100.8", "198.51.100.9", "198.51.100.10", "198.51.100.13"].sort(),
        );
        const at = (ip: string) => block[ip]?.certificates;
        expect(at("198.51.100.7")).toEqual([byName("leaf2-ecdsa").sha1]);
        expect(at("198.51.100.8")).toEqual([byName("leaf3-selfsigned").sha1]);
        expect(at("198.51.100.9")).toEqual([leaf1.sha1]);
        expect(at("198.51.100.13")).toEqual([leaf1.sha1]);
        expect(at("198.51.100.10")).toEqual([unknownSha1]);
        expect(block["198.51.100.10"]?.subjects[unknownSha1]?.values).toEqual([
          "C=LU, CN=fingerprint-only.example.lu",
        ]);

        const leaf1Fetch = await getJson<CfetchAnswer>(`/v2pssl/cfetch/${leaf1.sha1}`);
        expect(leaf1Fetch.pem).toBe(pemFileOf(leaf1));
        expect(leaf1Fetch.info.subject).toBe(leaf1.subject_circl);
        const stub = await getJson<CfetchAnswer>(`/v2pssl/cfetch/${unknownSha1}`);
        expect(stub).toMatchObject({
          pem: "",
          info: { subject: "C=LU, CN=fingerprint-only.example.lu", fingerprint: unknownSha1.toUpperCase() },
        });
        const cquery = await getJson<{ seen: string[] }>(`/v2pssl/cquery/${leaf1.sha1}`);
        expect(cquery.seen).toEqual(expect.arrayContaining(["198.51.100.9", "198.51.100.13"]));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
