/**
 * CIRCL-compatible passive SSL (what PyPSSL, MISP, Cortex and XSOAR speak): `query/<ip>[/<prefixlen>]`,
 * `cquery/<sha1>` and `cfetch/<sha1>` with CIRCL's JSON shapes and plain-text 400 errors. Beyond CIRCL
 * and in the same shapes: IPv6 addresses and prefixes, and SHA-256 wherever a SHA-1 is accepted.
 */
import { type Context, Hono } from "hono";
import { addressesOf, cidrSize, parseCidr } from "../../dns/cidr.js";
import { circlDate } from "../../pssl/certificate.js";
import {
  certificateDocuments,
  certificatesAt,
  distinctAddressesOf,
  resolveCertificateId,
} from "../../pssl/pssl-query.js";
import type { StoredCertificate } from "../../pssl/stored-certificate.js";
import type { Store } from "../../store/types.js";
import { answer, answerJson, noteResults, type RequestEnv } from "../request-env.js";
import { tryQueryValue } from "../request-value.js";

export interface PsslRouteOptions {
  store: Store;
  /** Widest block `query` accepts, as an IPv4 prefix length (CIRCL: 23); IPv6 gets as many addresses. */
  maxCidrPrefix: number;
}

const BAD_FINGERPRINT = "Incorrect format of the certificate fingerprint (expected SHA1 in hex format)";

/** A SHA-1 or SHA-256 in hex (colons allowed), lowercased without colons; undefined for anything else. */
function fingerprintText(raw: string | undefined): string | undefined {
  const hex = raw?.toLowerCase().replaceAll(":", "");
  return hex !== undefined && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(hex) ? hex : undefined;
}

/** CIRCL answers malformed input with a plain-text 400 (PyPSSL raises on it). */
const plain400 = (c: Context, message: string) =>
  answer(c, message, 400, { "content-type": "text/plain; charset=UTF-8" });

export function subjectOf(document: StoredCertificate | undefined): string | undefined {
  if (!document) return undefined;
  return document.kind === "der" ? document.facts.subject : document.subject;
}

/** cfetch's `{pem, info}`; a certificate known only by fingerprint gets its known text and empty rest. */
function cfetchAnswer(sha1: string, document: StoredCertificate) {
  if (document.kind === "der") {
    const f = document.facts;
    return {
      pem: f.pem,
      info: {
        subject: f.subject,
        issuer: f.issuer,
        fingerprint: f.sha1.toUpperCase(),
        keylength: f.keyBits,
        key: f.publicKeyPem,
        not_before: circlDate(f.notBefore),
        not_after: circlDate(f.notAfter),
        extension: f.extensions,
      },
    };
  }
  return {
    pem: "",
    info: {
      subject: document.subject ?? "",
      issuer: document.issuer ?? "",
      fingerprint: sha1.toUpperCase(),
      keylength: 0,
      key: "",
      not_before: document.notBefore === undefined ? "" : circlDate(document.notBefore),
      not_after: document.notAfter === undefined ? "" : circlDate(document.notAfter),
      extension: {},
    },
  };
}

/** Parses `<ip>` or `<ip>/<prefixlen>` and checks the block's size against the configured maximum. */
export function blockAddresses(raw: string, maxCidrPrefix: number): string[] | { error: string } {
  const cidr = parseCidr(raw);
  if (!cidr) return { error: "Incorrect format" };
  if (cidrSize(cidr) > 1n << BigInt(32 - maxCidrPrefix)) {
    return { error: `Maximum CIDR block size reached >/${maxCidrPrefix}` };
  }
  return addressesOf(cidr);
}

export function circlPsslRoutes(options: PsslRouteOptions, { legacy }: { legacy: boolean }) {
  const { store } = options;
  const app = new Hono<RequestEnv>();
  const prefix = legacy ? "/pssl" : "/v2pssl";

  app.get("/query/*", async (c) => {
    const addresses = blockAddresses(tryQueryValue(c, `${prefix}/query/`) ?? "", options.maxCidrPrefix);
    if (!Array.isArray(addresses)) return plain400(c, addresses.error);
    const seen = new Map<string, string[]>();
    for (const ip of addresses) {
      const sha1s = [...new Set((await certificatesAt(store, ip)).map((s) => s.sha1))];
      if (sha1s.length > 0) seen.set(ip, sha1s);
    }
    const documents = await certificateDocuments(store, [...new Set([...seen.values()].flat())]);
    const answer: Record<string, { certificates: string[]; subjects: Record<string, { values: string[] }> }> =
      {};
    for (const [ip, sha1s] of seen) {
      const subjects: Record<string, { values: string[] }> = {};
      for (const sha1 of sha1s) {
        const subject = subjectOf(documents.get(sha1));
        if (subject !== undefined) subjects[sha1] = { values: [subject] };
      }
      answer[ip] = { certificates: sha1s, subjects };
    }
    noteResults(
      c,
      [...seen.values()].reduce((sum, sha1s) => sum + sha1s.length, 0),
    );
    return answerJson(c, answer);
  });

  if (legacy) return app;

  app.get("/cquery/*", async (c) => {
    const raw = fingerprintText(tryQueryValue(c, `${prefix}/cquery/`));
    if (raw === undefined) return plain400(c, BAD_FINGERPRINT);
    const sha1 = await resolveCertificateId(store, raw);
    if (sha1 === undefined) {
      noteResults(c, 0);
      return answerJson(c, { certificate: raw, seen: [], hits: 0 });
    }
    const seen = await distinctAddressesOf(store, sha1);
    noteResults(c, seen.length);
    return answerJson(c, { certificate: sha1, seen, hits: seen.length });
  });

  app.get("/cfetch/*", async (c) => {
    const raw = fingerprintText(tryQueryValue(c, `${prefix}/cfetch/`));
    if (raw === undefined) return plain400(c, BAD_FINGERPRINT);
    const sha1 = await resolveCertificateId(store, raw);
    const document = sha1 === undefined ? undefined : (await certificateDocuments(store, [sha1])).get(sha1);
    if (!sha1 || !document) return plain400(c, "Not existing certificate");
    noteResults(c, 1);
    return answerJson(c, cfetchAnswer(sha1, document));
  });

  return app;
}
