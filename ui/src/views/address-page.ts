/**
 * What an address (or a small block) search shows beyond its passive DNS records: the certificates TLS
 * sensors saw served there (`/v2pssl/sightings`), one row per certificate with its subject, issuer,
 * validity, the ports (and, for a block, the addresses) it was served on, first and last seen and the
 * number of sessions. Subjects come from cfetch, a few certificates at a time.
 */
import { type Child, h } from "../lib/dom.js";
import { formatCount, isoTime, plural } from "../lib/format.js";
import { type AddressSighting, addressSightings } from "../lib/pssl.js";
import { pivot } from "../lib/router.js";
import { empty, loadInto } from "../lib/states.js";
import { certificateList } from "./certificate-list.js";
import type { ViewContext } from "./view.js";

/** The widest block passive SSL answers for (the server's --pssl-max-cidr default: /23, 512 addresses). */
export function smallEnoughForSightings(block: string): boolean {
  const match = /\/(\d{1,3})$/.exec(block);
  if (!match) return false;
  const prefix = Number(match[1]);
  return block.includes(":") ? prefix >= 119 : prefix >= 23;
}

interface SeenCertificate {
  sha1: string;
  ports: Set<number>;
  places: Set<string>;
  ips: Set<string>;
  first: number;
  last: number;
  count: number;
}

/** Sightings per address → one entry per certificate, most recently seen first. */
function byCertificate(answer: Record<string, AddressSighting[]>): SeenCertificate[] {
  const seen = new Map<string, SeenCertificate>();
  for (const [ip, sightings] of Object.entries(answer)) {
    for (const sighting of sightings) {
      let entry = seen.get(sighting.certificate);
      if (!entry) {
        entry = {
          sha1: sighting.certificate,
          ports: new Set(),
          places: new Set(),
          ips: new Set(),
          first: sighting.first_seen,
          last: sighting.last_seen,
          count: 0,
        };
        seen.set(sighting.certificate, entry);
      }
      entry.ports.add(sighting.port);
      entry.ips.add(ip);
      entry.places.add(`${ip} ${sighting.port}`);
      entry.first = Math.min(entry.first, sighting.first_seen);
      entry.last = Math.max(entry.last, sighting.last_seen);
      entry.count += sighting.count;
    }
  }
  return [...seen.values()].sort((a, b) => b.last - a.last);
}

/** `ip:port` with the address a pivot (IPv6 in brackets). */
export function endpoint(ip: string, port: number): Child {
  return ip.includes(":")
    ? h("span", { class: "endpoint" }, "[", pivot(ip), `]:${port}`)
    : h("span", { class: "endpoint" }, pivot(ip), `:${port}`);
}

/** The "certificates seen here" section of an address or block page. */
export function certificatesSeenAt(context: ViewContext, value: string, block: boolean): HTMLElement {
  const { signal } = context;
  const body = h("div");
  const section = h(
    "section",
    { class: "pssl-section", "aria-labelledby": "certs-title" },
    h("h2", { id: "certs-title" }, block ? "Certificates seen in this block" : "Certificates seen here"),
    body,
  );
  loadInto(body, signal, "Looking for certificates seen here…", async () => {
    const entries = byCertificate(await addressSightings(value, signal));
    if (entries.length === 0) {
      return empty(
        `No TLS server certificate was seen ${block ? "in" : "at"} ${value}.`,
        "Passive SSL knows the servers that TLS sensors (D4 TLS fingerprinting, Suricata) saw on monitored links: a server elsewhere does not show up.",
      );
    }
    const extra = block
      ? [
          { label: "Seen at" },
          { label: "First seen (UTC)" },
          { label: "Last seen (UTC)" },
          { label: "Sessions", numeric: true },
        ]
      : [
          { label: "Ports" },
          { label: "First seen (UTC)" },
          { label: "Last seen (UTC)" },
          { label: "Sessions", numeric: true },
        ];
    return [
      h("p", { class: "hint" }, `${plural(entries.length, "certificate")}, most recently seen first.`),
      certificateList(
        entries.map((entry) => ({
          sha1: entry.sha1,
          cells: [
            block
              ? h(
                  "span",
                  { class: "endpoints" },
                  [...entry.places].map((place) => {
                    const [ip = "", port = "0"] = place.split(" ");
                    return endpoint(ip, Number(port));
                  }),
                )
              : [...entry.ports].sort((a, b) => a - b).join(", "),
            h("span", { class: "nowrap" }, isoTime(entry.first)),
            h("span", { class: "nowrap" }, isoTime(entry.last)),
            formatCount(entry.count),
          ],
        })),
        extra,
        signal,
        block ? "Certificates seen in this block" : "Certificates seen at this address",
      ),
    ];
  });
  return section;
}
