/**
 * A JA3 or JA3S page (an MD5 search): the full fingerprint string, the TLS servers (address:port) seen in
 * sessions with it, and the certificates those servers sent. A bare MD5 can be either kind, so both
 * routes are asked and each one with sightings is shown; `ja3:` / `ja3s:` asks only one.
 */
import { type Child, h, show } from "../lib/dom.js";
import { formatCount, isoTime, plural } from "../lib/format.js";
import { type FingerprintAnswer, type FingerprintSighting, fingerprintSightings } from "../lib/pssl.js";
import { pivot } from "../lib/router.js";
import { empty, failure, loading } from "../lib/states.js";
import { endpoint } from "./address-page.js";
import { certificateList } from "./certificate-list.js";
import { dataTable } from "./data-table.js";
import type { ViewContext } from "./view.js";

const NAMES = { ja3: "JA3 (TLS client)", ja3s: "JA3S (TLS server)" } as const;

function serversTable(sightings: FingerprintSighting[]): HTMLElement {
  return dataTable({
    caption: "Servers seen with this fingerprint",
    className: "sightings",
    columns: [
      "Server",
      "Certificate",
      "First seen (UTC)",
      "Last seen (UTC)",
      { label: "Sessions", numeric: true },
    ],
    rows: sightings.map((s) => [
      ["value", endpoint(s.ip, s.port)],
      [
        "value",
        s.certificate
          ? pivot(s.certificate, h("span", { class: "fingerprint" }, `${s.certificate.slice(0, 12)}…`))
          : h(
              "span",
              { class: "muted", title: "Resumed or TLS 1.3 sessions do not show the certificate" },
              "none seen",
            ),
      ],
      ["time", isoTime(s.first_seen)],
      ["time", isoTime(s.last_seen)],
      ["num", formatCount(s.count)],
    ]),
  }).element;
}

/** The certificates of the sightings, once each, with where they were served and how often. */
function certificates(context: ViewContext, sightings: FingerprintSighting[]): Child {
  const seen = new Map<string, { places: Set<string>; count: number; last: number }>();
  for (const s of sightings) {
    if (!s.certificate) continue;
    const entry = seen.get(s.certificate) ?? { places: new Set<string>(), count: 0, last: 0 };
    entry.places.add(`${s.ip} ${s.port}`);
    entry.count += s.count;
    entry.last = Math.max(entry.last, s.last_seen);
    seen.set(s.certificate, entry);
  }
  if (seen.size === 0)
    return h(
      "p",
      { class: "hint none" },
      "No certificate was seen in these sessions (resumed and TLS 1.3 sessions hide it).",
    );
  return certificateList(
    [...seen.entries()]
      .sort(([, a], [, b]) => b.last - a.last)
      .map(([sha1, entry]) => ({
        sha1,
        cells: [
          h(
            "span",
            { class: "endpoints" },
            [...entry.places].map((place) => {
              const [ip = "", port = "0"] = place.split(" ");
              return endpoint(ip, Number(port));
            }),
          ),
          formatCount(entry.count),
        ],
      })),
    [{ label: "Served at" }, { label: "Sessions", numeric: true }],
    context.signal,
    "Certificates seen with this fingerprint",
  );
}

function answerSection(context: ViewContext, kind: "ja3" | "ja3s", answer: FingerprintAnswer): HTMLElement {
  const sightings = answer.sightings.slice().sort((a, b) => b.last_seen - a.last_seen);
  const sessions = sightings.reduce((sum, s) => sum + s.count, 0);
  const servers = new Set(sightings.map((s) => `${s.ip} ${s.port}`)).size;
  return h(
    "section",
    { class: "pssl-section fingerprint-answer", "aria-label": NAMES[kind] },
    h("h2", null, NAMES[kind]),
    h(
      "dl",
      { class: "facts" },
      h("dt", null, "Digest"),
      h("dd", null, pivot(`${kind}:${answer[kind] ?? ""}`, h("code", null, answer[kind] ?? ""))),
      h("dt", null, "Fingerprint"),
      h("dd", null, h("code", { class: "ja3-string" }, answer.string ?? "")),
      h("dt", null, "Seen"),
      h(
        "dd",
        null,
        `${plural(sessions, "session")} with ${plural(servers, "server")}` +
          (answer.truncated ? " (the list is capped by the server)" : ""),
      ),
    ),
    h("h3", null, "Servers"),
    serversTable(sightings),
    h("h3", null, "Certificates"),
    certificates(context, sightings),
  );
}

/** The fingerprint page: `kinds` is ["ja3"], ["ja3s"] or both for a bare MD5. */
export function renderFingerprint(
  context: ViewContext,
  digest: string,
  kinds: Array<"ja3" | "ja3s">,
  heading: HTMLElement,
): void {
  const { root, signal } = context;
  const body = h("div", null, loading("Looking for sessions with this fingerprint…"));
  show(root, heading, body);
  const load = async () => {
    show(body, loading("Looking for sessions with this fingerprint…"));
    try {
      const answers = await Promise.all(kinds.map((kind) => fingerprintSightings(kind, digest, signal)));
      if (signal.aborted) return;
      const found = kinds
        .map((kind, index) => ({ kind, answer: answers[index] as FingerprintAnswer }))
        .filter(({ answer }) => answer.sightings.length > 0);
      if (found.length === 0) {
        const what = kinds.length === 2 ? "JA3 or JA3S" : kinds[0] === "ja3" ? "JA3" : "JA3S";
        show(
          body,
          empty(
            `No TLS session with this ${what} fingerprint was seen.`,
            "Check the digest: the MD5 of the JA3 or JA3S string, 32 hex digits. Certificates are searched by their SHA-1 or SHA-256, not by their MD5.",
          ),
        );
        return;
      }
      show(
        body,
        found.map(({ kind, answer }) => answerSection(context, kind, answer)),
      );
    } catch (error) {
      if (!signal.aborted)
        show(
          body,
          failure(error, () => void load()),
        );
    }
  };
  void load();
}
