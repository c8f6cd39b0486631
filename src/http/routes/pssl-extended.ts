/**
 * Passive SSL beyond CIRCL's API, next to its routes under /v2pssl (JSON, the common JSON error shape):
 * - `sightings/<ip>[/<prefixlen>]`: every (certificate, port) per address with first/last seen and count
 * - `csightings/<sha1|sha256>`: every (address, port) where a certificate was seen, with the same
 * - `ja3/<md5>`, `ja3s/<md5>`: the full fingerprint string and every (address, port, certificate) seen
 * - `csearch/<name>` or `csearch/*.<domain>`: certificates naming it in subject CN or SAN
 */
import { Hono } from "hono";
import { normalizeName } from "../../dns/name.js";
import { circlDate } from "../../pssl/certificate.js";
import {
  addressesOf,
  certificateDocuments,
  certificatesAt,
  certificatesNamed,
  fingerprintSightings,
  resolveCertificateId,
  type Seen,
} from "../../pssl/pssl-query.js";
import type { Store } from "../../store/types.js";
import { badRequest } from "../errors.js";
import { answerJson, noteResults, type RequestEnv } from "../request-env.js";
import { queryValue } from "../request-value.js";
import { blockAddresses, type PsslRouteOptions, subjectOf } from "./circl-pssl.js";

/** Most entries one answer lists; `truncated` says when more exist. */
const MAX_ENTRIES = 10_000;

const seenJson = (s: Seen) => ({ first_seen: s.firstSeen, last_seen: s.lastSeen, count: s.count });

async function certificateId(store: Store, raw: string): Promise<string> {
  const sha1 = await resolveCertificateId(store, raw);
  if (sha1 === undefined) throw badRequest("expected a certificate SHA-1 or a known SHA-256, in hex");
  return sha1;
}

export function psslExtendedRoutes(options: PsslRouteOptions) {
  const { store } = options;
  const app = new Hono<RequestEnv>();

  app.get("/sightings/*", async (c) => {
    const addresses = blockAddresses(queryValue(c, "/v2pssl/sightings/"), options.maxCidrPrefix);
    if (!Array.isArray(addresses)) throw badRequest(addresses.error);
    const answer: Record<string, unknown[]> = {};
    for (const ip of addresses) {
      const seen = await certificatesAt(store, ip);
      if (seen.length > 0)
        answer[ip] = seen.map((s) => ({ certificate: s.sha1, port: s.port, ...seenJson(s) }));
    }
    noteResults(
      c,
      Object.values(answer).reduce((sum, list) => sum + list.length, 0),
    );
    return answerJson(c, answer);
  });

  app.get("/csightings/*", async (c) => {
    const sha1 = await certificateId(store, queryValue(c, "/v2pssl/csightings/"));
    const seen = await addressesOf(store, sha1, MAX_ENTRIES + 1);
    noteResults(c, Math.min(seen.length, MAX_ENTRIES));
    return answerJson(c, {
      certificate: sha1,
      sightings: seen.slice(0, MAX_ENTRIES).map((s) => ({ ip: s.ip, port: s.port, ...seenJson(s) })),
      truncated: seen.length > MAX_ENTRIES,
    });
  });

  for (const kind of ["ja3", "ja3s"] as const) {
    app.get(`/${kind}/*`, async (c) => {
      const digest = queryValue(c, `/v2pssl/${kind}/`).toLowerCase();
      if (!/^[0-9a-f]{32}$/.test(digest))
        throw badRequest(`expected a ${kind.toUpperCase()} MD5 digest in hex`);
      const { text, sightings } = await fingerprintSightings(store, kind, digest, MAX_ENTRIES + 1);
      noteResults(c, Math.min(sightings.length, MAX_ENTRIES));
      return answerJson(c, {
        [kind]: digest,
        string: text ?? null,
        sightings: sightings.slice(0, MAX_ENTRIES).map((s) => ({
          ip: s.ip,
          port: s.port,
          certificate: s.sha1 ?? null,
          ...seenJson(s),
        })),
        truncated: sightings.length > MAX_ENTRIES,
      });
    });
  }

  app.get("/csearch/*", async (c) => {
    const raw = queryValue(c, "/v2pssl/csearch/").toLowerCase();
    const under = raw.startsWith("*.");
    const name = normalizeName(under ? raw.slice(2) : raw);
    if (name === undefined || name.includes("*")) {
      throw badRequest("expected a domain name, or *.<domain> for every name under it");
    }
    if (under && !name.includes(".")) throw badRequest("*.<domain> needs a domain of two labels or more");
    const sha1s = await certificatesNamed(store, under ? `*.${name}` : name, MAX_ENTRIES + 1);
    const documents = await certificateDocuments(store, sha1s.slice(0, MAX_ENTRIES));
    noteResults(c, Math.min(sha1s.length, MAX_ENTRIES));
    return answerJson(c, {
      query: under ? `*.${name}` : name,
      certificates: sha1s.slice(0, MAX_ENTRIES).map((sha1) => {
        const document = documents.get(sha1);
        const facts = document?.kind === "der" ? document.facts : undefined;
        return {
          sha1,
          subject: subjectOf(document) ?? null,
          issuer: facts?.issuer ?? null,
          not_before: facts ? circlDate(facts.notBefore) : null,
          not_after: facts ? circlDate(facts.notAfter) : null,
          names: facts?.dnsNames ?? [],
        };
      }),
      truncated: sha1s.length > MAX_ENTRIES,
    });
  });

  return app;
}
