/**
 * The search page: `/ui/search?q=<value>` and the record filters. The value is classified
 * (lib/classify.ts) and the page for its kind is drawn:
 * - a name: the certificates naming it, then its passive DNS records (owned and pointing to it);
 * - a wildcard: the certificates naming names under it (`*.domain`), then the records of those names;
 * - an address: the certificates seen there, then the names pointing there;
 * - a block: the same (certificates only for blocks up to /23), records of the addresses in it;
 * - a SHA-1/SHA-256: the certificate page; an MD5, `ja3:` or `ja3s:`: the fingerprint page.
 * Short passive SSL answers come first, the long paged records last.
 */
import { classify, type SearchKind } from "../lib/classify.js";
import { type Child, h, show } from "../lib/dom.js";
import { link, pivot } from "../lib/router.js";
import { empty } from "../lib/states.js";
import { certificatesSeenAt, smallEnoughForSightings } from "./address-page.js";
import { renderCertificate } from "./certificate-page.js";
import { renderFingerprint } from "./fingerprint-page.js";
import { certificatesNamingSection } from "./name-certificates.js";
import { recordsSection } from "./records-section.js";
import type { ViewContext } from "./view.js";

const KIND_LABELS: Record<SearchKind, string> = {
  name: "Name",
  wildcard: "Wildcard",
  ip: "Address",
  block: "Address block",
  sha1: "Certificate (SHA-1)",
  sha256: "Certificate (SHA-256)",
  ja3: "JA3 fingerprint",
  ja3s: "JA3S fingerprint",
  md5: "JA3 / JA3S fingerprint",
};

function heading(kind: SearchKind, value: string, related: Child[] = []): HTMLElement {
  return h(
    "header",
    { class: "result-head" },
    h("p", { class: "kind" }, KIND_LABELS[kind]),
    h("h1", null, value),
    related.length > 0 ? h("p", { class: "related" }, "Related: ", related) : null,
  );
}

/** The parent domain of a name (`www.example.com` → `example.com`), none for a top-level label. */
function parentOf(name: string): string | undefined {
  const dot = name.indexOf(".");
  const parent = dot < 0 ? "" : name.slice(dot + 1);
  return parent.includes(".") ? parent : undefined;
}

/** The block around an IPv4 address worth a look: its /24. */
function blockAround(ip: string): string | undefined {
  return ip.includes(":") ? undefined : `${ip.split(".").slice(0, 3).join(".")}.0/24`;
}

function relatedLink(value: string, what: string): Child {
  return h("span", { class: "related-item" }, pivot(value), h("span", { class: "muted" }, ` ${what}`));
}

export function renderSearch(outer: ViewContext): void {
  // Everything the search pages draw sits in .search-page (their styles are scoped to it: ui/search.css).
  const root = h("div", { class: "search-page" });
  show(outer.root, root);
  const context: ViewContext = { ...outer, root };
  const { route } = context;
  const q = (route.params.get("q") ?? "").trim();
  if (q === "") {
    show(
      root,
      empty(
        "Type what to search in the box above.",
        h(
          "span",
          null,
          "A name, *.domain, an address, a block, a certificate fingerprint or a JA3 digest: ",
          link("/ui/", null, "see examples"),
          ".",
        ),
      ),
    );
    return;
  }
  const found = classify(q);
  if (found.kind === "invalid") {
    show(
      root,
      h("header", { class: "result-head" }, h("h1", null, q)),
      empty("This is not something to search.", found.reason),
    );
    return;
  }
  const { kind, value } = found;
  switch (kind) {
    case "sha1":
    case "sha256":
      renderCertificate(context, value, heading(kind, value));
      return;
    case "md5":
      renderFingerprint(context, value, ["ja3", "ja3s"], heading(kind, value));
      return;
    case "ja3":
    case "ja3s":
      renderFingerprint(context, value, [kind], heading(kind, value));
      return;
    case "name": {
      const parent = parentOf(value);
      show(
        root,
        heading(kind, value, [
          relatedLink(`*.${value}`, "(names under it)"),
          parent ? relatedLink(parent, "(parent)") : null,
        ]),
        certificatesNamingSection(context, value),
        recordsSection(context, {
          kind,
          value,
          title: "Passive DNS records",
          none: {
            message: `No passive DNS record of ${value} was seen.`,
            hint: h(
              "span",
              null,
              "Records exist only for names a sensor saw resolved. Try the names under it: ",
              pivot(`*.${value}`),
              parent ? [" or its parent ", pivot(parent)] : null,
              ".",
            ),
          },
        }),
      );
      return;
    }
    case "wildcard": {
      const under = value.startsWith("*.");
      show(
        root,
        heading(kind, value, [relatedLink(under ? value.slice(2) : value.slice(0, -2), "(the name itself)")]),
        under ? certificatesNamingSection(context, value) : null,
        recordsSection(context, {
          kind,
          value,
          title: under
            ? `Records of names under ${value.slice(2)}`
            : `Records of names starting with ${value.slice(0, -2)}`,
          none: {
            message: `No passive DNS record matches ${value}.`,
            hint: "A wildcard matches names strictly under the domain (*.example.com) or with more labels after the start (www.example.*).",
          },
        }),
      );
      return;
    }
    case "ip": {
      const around = blockAround(value);
      show(
        root,
        heading(kind, value, around ? [relatedLink(around, "(its /24)")] : []),
        certificatesSeenAt(context, value, false),
        recordsSection(context, {
          kind,
          value,
          title: "Names pointing here",
          none: {
            message: `No name was seen pointing to ${value}.`,
            hint: around
              ? h("span", null, "Try the addresses around it: ", pivot(around), ".")
              : "Try the block around it (its /64).",
          },
        }),
      );
      return;
    }
    case "block": {
      show(
        root,
        heading(kind, value),
        smallEnoughForSightings(value)
          ? certificatesSeenAt(context, value, true)
          : h(
              "p",
              { class: "hint none" },
              "Certificates are listed for blocks up to /23 (512 addresses): search a narrower block or one address to see them.",
            ),
        recordsSection(context, {
          kind,
          value,
          title: "Names pointing into this block",
          none: {
            message: `No name was seen pointing into ${value}.`,
            hint: "Try a wider block (up to /16 for IPv4, /48 for IPv6).",
          },
        }),
      );
      return;
    }
  }
}
