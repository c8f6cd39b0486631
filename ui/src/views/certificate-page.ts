/**
 * A certificate's page (a SHA-1 or SHA-256 search): the parsed certificate from cfetch — subject, issuer,
 * SANs (names and addresses as pivots), validity with "expired" shown plainly, key type and size, SHA-1
 * and SHA-256 fingerprints (the SHA-256 computed here from the DER) and the other extensions — a PEM
 * download, and where and when TLS sensors saw it served (csightings), as a timeline and a table. A
 * certificate known only by its fingerprint (a sensor that did not send the certificate) says so.
 */
import { ApiFailure } from "../lib/api.js";
import { keyTypeOf, parseSubjectAltNames, pemToDer, toHex, validityAt } from "../lib/certificate.js";
import { classify } from "../lib/classify.js";
import { type Child, h, show } from "../lib/dom.js";
import { downloadLink } from "../lib/download.js";
import {
  certTimeToEpoch,
  colonHex,
  commonName,
  duration,
  formatCount,
  isoTime,
  plural,
} from "../lib/format.js";
import { type CertificateFetch, certificateSightings, fetchCertificate } from "../lib/pssl.js";
import { pivot } from "../lib/router.js";
import { empty, loadInto } from "../lib/states.js";
import { endpoint } from "./address-page.js";
import { distinguishedName } from "./certificate-list.js";
import { dataTable } from "./data-table.js";
import { spanTitle, timeline } from "./timeline.js";
import type { ViewContext } from "./view.js";

/** The SHA-256 of the DER, computed by the browser (WebCrypto needs a secure context: HTTPS or localhost). */
async function sha256Of(der: Uint8Array): Promise<string | undefined> {
  if (!globalThis.crypto?.subtle) return undefined;
  return toHex(await crypto.subtle.digest("SHA-256", der as Uint8Array<ArrayBuffer>));
}

function fact(term: string, ...description: Child[]): Child[] {
  return [h("dt", null, term), h("dd", null, ...description)];
}

function fingerprint(hex: string): Child {
  return h(
    "span",
    { class: "fingerprints" },
    pivot(hex.toLowerCase(), h("code", { class: "fingerprint" }, hex.toLowerCase())),
    h("code", { class: "fingerprint colon muted" }, colonHex(hex)),
  );
}

function sanList(text: string | undefined): Child {
  const sans = parseSubjectAltNames(text);
  if (sans.length === 0) return h("span", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "sans" },
    sans.map(({ type, value }) => {
      const kind = classify(value).kind;
      const searchable =
        (type === "DNS" || type === "IP Address") && ["name", "wildcard", "ip"].includes(kind);
      return h(
        "li",
        null,
        h("span", { class: "san-type" }, type),
        " ",
        searchable ? pivot(value) : h("span", { class: "mono" }, value),
      );
    }),
  );
}

function validity(info: CertificateFetch["info"]): Child {
  const from = certTimeToEpoch(info.not_before);
  const to = certTimeToEpoch(info.not_after);
  const now = Date.now() / 1000;
  const state = validityAt(from, to, now);
  const range = h("span", { class: "nowrap" }, `${isoTime(from)} → ${isoTime(to)} UTC`);
  if (state === "expired" && to !== undefined)
    return [range, " ", h("span", { class: "badge bad" }, `expired ${duration(now - to)} ago`)];
  if (state === "not yet valid" && from !== undefined)
    return [range, " ", h("span", { class: "badge warn" }, `not valid for ${duration(from - now)} yet`)];
  if (state === "valid" && to !== undefined)
    return [range, " ", h("span", { class: "badge ok" }, `valid, ${duration(to - now)} left`)];
  return range;
}

const SHOWN_EXTENSIONS = new Set(["subjectAltName"]);

function details(context: ViewContext, value: string, answer: CertificateFetch): HTMLElement {
  const { info, pem } = answer;
  const sha1 = info.fingerprint.toLowerCase();
  const der = pemToDer(pem);
  const sha256 = h("span", null, der ? "computing…" : "");
  if (der) {
    void sha256Of(der).then((hex) => {
      if (hex) show(sha256, fingerprint(hex));
      else if (value.length === 64) show(sha256, fingerprint(value));
      else show(sha256, h("span", { class: "muted" }, "computed only over HTTPS (the browser's WebCrypto)"));
    });
  } else if (value.length === 64) {
    show(sha256, fingerprint(value));
  } else {
    show(sha256, h("span", { class: "muted" }, "unknown: the server has no copy of the certificate"));
  }
  const keyType = keyTypeOf(info.key);
  const key =
    keyType || info.keylength
      ? `${keyType ?? "key"}${info.keylength ? `, ${info.keylength} bits` : ""}`
      : "unknown";
  const extensions = Object.entries(info.extension ?? {}).filter(([name]) => !SHOWN_EXTENSIONS.has(name));
  const selfSigned = info.subject === info.issuer;
  const to = certTimeToEpoch(info.not_after);
  const expired = to !== undefined && to < Date.now() / 1000;
  return h(
    "div",
    { class: "certificate" },
    expired
      ? h(
          "p",
          { class: "notice expired", role: "note" },
          h("strong", null, "Expired"),
          ` on ${isoTime(to)} UTC: no client should accept this certificate now.`,
        )
      : null,
    pem
      ? null
      : h(
          "p",
          { class: "notice", role: "note" },
          "The server knows this certificate only by its fingerprint (a sensor reported the session without the certificate itself): no PEM, key or extensions.",
        ),
    h(
      "dl",
      { class: "facts" },
      fact("Subject", distinguishedName(info.subject)),
      fact(
        "Issuer",
        distinguishedName(info.issuer),
        selfSigned ? [" ", h("span", { class: "badge warn" }, "self-signed")] : null,
      ),
      fact("Names (SANs)", sanList(info.extension?.subjectAltName)),
      fact("Validity", validity(info)),
      fact("Key", key),
      fact("SHA-1", fingerprint(sha1)),
      fact("SHA-256", sha256),
    ),
    extensions.length > 0
      ? h(
          "details",
          { class: "extensions" },
          h("summary", null, `Extensions (${extensions.length})`),
          h(
            "dl",
            { class: "facts" },
            extensions.map(([name, text]) => fact(name, h("span", { class: "mono" }, text))),
          ),
        )
      : null,
    pem
      ? h(
          "div",
          { class: "pem" },
          downloadLink(`${sha1}.pem`, pem, "application/x-pem-file", "Download PEM", context.signal),
          h("details", null, h("summary", null, "Show PEM"), h("pre", { class: "block" }, pem)),
        )
      : null,
  );
}

function sightingsSection(context: ViewContext, value: string): HTMLElement {
  const { signal } = context;
  const body = h("div");
  loadInto(body, signal, "Looking for where it was seen…", async () => {
    const answer = await certificateSightings(value, signal);
    const sightings = answer.sightings.slice().sort((a, b) => b.last_seen - a.last_seen);
    if (sightings.length === 0) {
      return empty(
        "No TLS sensor saw this certificate served.",
        "It may be known from a certificate list only; search its names to see where they point.",
      );
    }
    const total = sightings.reduce((sum, s) => sum + s.count, 0);
    return [
      h(
        "p",
        { class: "hint" },
        `Served at ${plural(sightings.length, "address and port", "addresses and ports")}, ${plural(total, "session")} in all` +
          (answer.truncated ? " (the list is capped by the server)." : "."),
      ),
      timeline(
        [
          {
            title: "Served at",
            rows: sightings.map((s) => ({
              label: s.ip.includes(":") ? `[${s.ip}]:${s.port}` : `${s.ip}:${s.port}`,
              pivot: s.ip,
              first: s.first_seen,
              last: s.last_seen,
              title: spanTitle(`${s.ip} port ${s.port}`, s.first_seen, s.last_seen, s.count),
            })),
          },
        ],
        "One bar per address and port, from first to last session seen.",
        signal,
      ),
      dataTable({
        caption: "Where the certificate was seen",
        className: "sightings",
        columns: [
          "Address:port",
          "First seen (UTC)",
          "Last seen (UTC)",
          { label: "Sessions", numeric: true },
        ],
        rows: sightings.map((s) => [
          ["value", endpoint(s.ip, s.port)],
          ["time", isoTime(s.first_seen)],
          ["time", isoTime(s.last_seen)],
          ["num", formatCount(s.count)],
        ]),
      }).element,
    ];
  });
  return h(
    "section",
    { class: "pssl-section", "aria-labelledby": "seen-title" },
    h("h2", { id: "seen-title" }, "Where and when it was seen"),
    body,
  );
}

/** The certificate page: `value` is a SHA-1 or SHA-256 (lowercase hex, no colons). */
export function renderCertificate(context: ViewContext, value: string, heading: HTMLElement): void {
  const { root, signal } = context;
  const body = h("div");
  show(root, heading, body);
  loadInto(
    body,
    signal,
    "Loading the certificate…",
    async () => {
      const answer = await fetchCertificate(value, signal);
      const cn = commonName(answer.info.subject);
      if (cn) heading.querySelector("h1")?.replaceChildren(cn);
      return [details(context, value, answer), sightingsSection(context, value)];
    },
    (error) =>
      error instanceof ApiFailure && error.status === 400 && /not existing/i.test(error.message)
        ? empty(
            "No certificate with this fingerprint has been seen.",
            "Check the fingerprint: the SHA-1 or SHA-256 of the certificate's DER (colons are fine). Certificates are known once a TLS sensor saw them served.",
          )
        : undefined,
  );
}
