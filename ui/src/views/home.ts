/** The home page: what the search box takes, with examples to click. */
import { h, show } from "../lib/dom.js";
import { link, searchHref } from "../lib/router.js";
import type { ViewContext } from "./view.js";

const EXAMPLES: Array<[string, string]> = [
  ["a name", "www.example.com"],
  ["every name under a domain", "*.example.com"],
  ["names starting with labels", "www.example.*"],
  ["an address (IPv4 or IPv6)", "192.0.2.1"],
  ["a block or a range", "192.0.2.0/24"],
  ["a certificate", "SHA-1 or SHA-256 fingerprint"],
  ["a TLS client or server fingerprint", "JA3 / JA3S digest"],
];

export function renderHome({ root }: ViewContext): void {
  show(
    root,
    h("h1", null, "Search passive DNS and passive SSL"),
    h("p", null, "Type into the search box above (press ", h("kbd", null, "/"), " to get there). It takes:"),
    h(
      "ul",
      { class: "examples" },
      EXAMPLES.map(([what, example]) =>
        h(
          "li",
          null,
          what,
          ": ",
          example.includes(" ")
            ? h("code", null, example)
            : link(searchHref(example), null, h("code", null, example)),
        ),
      ),
    ),
    h(
      "p",
      { class: "hint" },
      "Every name, address and hash in an answer is a link to its own search. The address bar holds the search: copy it to share.",
    ),
  );
}
