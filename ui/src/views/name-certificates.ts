/**
 * The certificates naming a name (its CN or a SAN), or any name under a domain for `*.domain`
 * (`/v2pssl/csearch`): a small table of pivots — the certificate, its subject and issuer, validity and
 * every name it carries.
 */
import { h } from "../lib/dom.js";
import { plural } from "../lib/format.js";
import { certificatesNaming } from "../lib/pssl.js";
import { pivot } from "../lib/router.js";
import { loadInto } from "../lib/states.js";
import { certificateList } from "./certificate-list.js";
import type { ViewContext } from "./view.js";

export function certificatesNamingSection(context: ViewContext, value: string): HTMLElement {
  const { signal } = context;
  const body = h("div");
  const under = value.startsWith("*.");
  const section = h(
    "section",
    { class: "pssl-section", "aria-labelledby": "named-title" },
    h("h2", { id: "named-title" }, under ? "Certificates naming names under it" : "Certificates naming it"),
    body,
  );
  loadInto(body, signal, "Looking for certificates naming it…", async () => {
    const answer = await certificatesNaming(value, signal);
    if (answer.certificates.length === 0) {
      // A small line, not a box: most names have no certificate seen, and the records below matter more.
      return h(
        "p",
        { class: "hint none" },
        `No certificate seen by the TLS sensors names ${value} (in its CN or SANs).`,
      );
    }
    return [
      h(
        "p",
        { class: "hint" },
        `${plural(answer.certificates.length, "certificate")} with ${under ? "a name under it" : "this name"} in the subject CN or the SANs` +
          (answer.truncated ? " (the first ones only: the server caps the list)." : "."),
      ),
      certificateList(
        answer.certificates.map((certificate) => ({
          sha1: certificate.sha1,
          summary: {
            subject: certificate.subject,
            issuer: certificate.issuer,
            notBefore: certificate.not_before,
            notAfter: certificate.not_after,
          },
          cells: [
            h(
              "span",
              { class: "names" },
              certificate.names.map((name) => pivot(name)),
            ),
          ],
        })),
        [{ label: "Names" }],
        signal,
        "Certificates naming it",
      ),
    ];
  });
  return section;
}
