/**
 * A table of certificates, as the address, name and JA3 pages show them: the fingerprint (a pivot to the
 * certificate's page), subject and issuer (common name first, the rest of the DN below), validity with
 * "expired" shown, then the caller's own columns (ports, first and last seen...). Subjects and issuers
 * that the list was not given are fetched (cfetch), a few at a time, and fill in as they arrive.
 */

import { validityAt } from "../lib/certificate.js";
import { classify } from "../lib/classify.js";
import { type Child, h, show } from "../lib/dom.js";
import { certTimeToEpoch, commonName, decodeOpenSslEscapes } from "../lib/format.js";
import { type CertificateSummary, certificateSummaries, SUMMARY_LIMIT } from "../lib/pssl.js";
import { pivot } from "../lib/router.js";
import { type Column, dataTable } from "./data-table.js";

export interface CertificateRow {
  sha1: string;
  /** Subject, issuer and validity when the caller has them (csearch); fetched otherwise. */
  summary?: CertificateSummary | undefined;
  /** The caller's cells, one per extra column. */
  cells: Child[];
}

export interface ExtraColumn {
  label: string;
  numeric?: boolean;
}

/** A distinguished name: its CN first (a pivot when it is a name), the rest below, as readable text. */
export function distinguishedName(dn: string | undefined): Child {
  if (!dn) return h("span", { class: "muted" }, "—");
  const decoded = decodeOpenSslEscapes(dn);
  const cn = commonName(dn);
  // CIRCL's form joins attributes with a lowercase name by "/" (`CN=x/emailAddress=y`): shown as ", ".
  const rest = decoded
    .replace(/\/(?=[A-Za-z][A-Za-z0-9]*=)/g, ", ")
    .replace(/(?:^|,\s*)CN=[^,]*/, "")
    .replace(/^,\s*/, "")
    .trim();
  const kind = cn ? classify(cn).kind : "invalid";
  const cnPart = cn && (kind === "name" || kind === "wildcard") ? pivot(cn) : cn;
  return h(
    "span",
    { class: "dn", title: dn },
    cnPart ? h("strong", { class: "cn" }, cnPart) : null,
    rest ? h("span", { class: "dn-rest" }, rest) : null,
  );
}

/** `2026-11-26 → 2027-12-28` and a badge: valid, expired (in red), not yet valid. */
export function validityCell(notBefore: string | undefined, notAfter: string | undefined): Child {
  const from = certTimeToEpoch(notBefore);
  const to = certTimeToEpoch(notAfter);
  const state = validityAt(from, to, Date.now() / 1000);
  const day = (epoch: number | undefined) =>
    epoch === undefined ? "?" : new Date(epoch * 1000).toISOString().slice(0, 10);
  const badge =
    state === "expired"
      ? h("span", { class: "badge bad" }, "expired")
      : state === "not yet valid"
        ? h("span", { class: "badge warn" }, "not yet valid")
        : state === "valid"
          ? h("span", { class: "badge ok" }, "valid")
          : null;
  return h("span", { class: "validity" }, h("span", { class: "nowrap" }, `${day(from)} → ${day(to)}`), badge);
}

/** Fills a row's subject, issuer and validity cells. */
function fill(cells: HTMLTableCellElement[], summary: CertificateSummary): void {
  const [subject, issuer, validity] = cells as [
    HTMLTableCellElement,
    HTMLTableCellElement,
    HTMLTableCellElement,
  ];
  if (summary.error) {
    show(subject, h("span", { class: "muted", title: summary.error }, "not available"));
    show(issuer, "");
    show(validity, "");
    return;
  }
  show(subject, distinguishedName(summary.subject));
  show(issuer, distinguishedName(summary.issuer));
  show(validity, validityCell(summary.notBefore, summary.notAfter));
}

/** The table; `signal` stops fetching summaries when the page is left. */
export function certificateList(
  rows: CertificateRow[],
  extra: ExtraColumn[],
  signal: AbortSignal,
  caption: string,
): HTMLElement {
  const pending = new Map<string, HTMLTableCellElement[]>();
  const body = rows.map((row) => {
    const cells = [h("td", { class: "dn-cell" }), h("td", { class: "dn-cell" }), h("td")];
    if (row.summary) fill(cells, row.summary);
    else {
      for (const cell of cells) show(cell, h("span", { class: "muted" }, "…"));
      pending.set(row.sha1, cells);
    }
    return h(
      "tr",
      null,
      h(
        "td",
        { class: "value" },
        pivot(row.sha1, h("span", { class: "fingerprint" }, `${row.sha1.slice(0, 12)}…`)),
      ),
      cells,
      row.cells.map((cell, index) => h("td", { class: extra[index]?.numeric ? "num" : undefined }, cell)),
    );
  });
  if (pending.size > 0) {
    void certificateSummaries([...pending.keys()], signal, (sha1, summary) => {
      const cells = pending.get(sha1);
      if (cells) fill(cells, summary);
      pending.delete(sha1);
    }).then(() => {
      // Past SUMMARY_LIMIT the fingerprint alone is shown: it links to the certificate's page.
      for (const cells of pending.values()) {
        show(
          cells[0] as HTMLTableCellElement,
          h(
            "span",
            { class: "muted" },
            `open the certificate (only the first ${SUMMARY_LIMIT} are read here)`,
          ),
        );
        show(cells[1] as HTMLTableCellElement, "");
        show(cells[2] as HTMLTableCellElement, "");
      }
    });
  }
  const table = dataTable({
    className: "certificates",
    caption,
    columns: [
      "Certificate (SHA-1)",
      "Subject",
      "Issuer",
      "Validity",
      ...extra.map(
        (column): Column => (column.numeric ? { label: column.label, numeric: true } : column.label),
      ),
    ],
  });
  table.add(body);
  return table.element;
}
