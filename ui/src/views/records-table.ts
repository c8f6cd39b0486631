/**
 * A page of passive DNS records as a table: name, type, value, first and last seen (UTC), count. Names
 * and values that are names or addresses are pivots. Column headers sort the page shown (click, Enter or
 * Space; again to reverse): the server's order is the one paging follows, so sorting never reaches
 * other pages.
 */
import { h } from "../lib/dom.js";
import { formatCount, isoTime } from "../lib/format.js";
import { type CofRecord, rdataPivot, type Sort, type SortKey, sortRecords } from "../lib/records.js";
import { pivot } from "../lib/router.js";

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: "rrname", label: "Name" },
  { key: "rrtype", label: "Type" },
  { key: "rdata", label: "Value" },
  { key: "time_first", label: "First seen (UTC)" },
  { key: "time_last", label: "Last seen (UTC)" },
  { key: "count", label: "Count", numeric: true },
];

function row(record: CofRecord): HTMLTableRowElement {
  const valuePivot = rdataPivot(record);
  return h(
    "tr",
    null,
    h("td", { class: "value" }, pivot(record.rrname)),
    h("td", { class: "type" }, String(record.rrtype)),
    h(
      "td",
      // Addresses stay on one line; other values (TXT, long names) wrap.
      { class: record.rrtype === "A" || record.rrtype === "AAAA" ? "value rdata address" : "value rdata" },
      valuePivot ? pivot(valuePivot) : record.rdata,
    ),
    h("td", { class: "time" }, isoTime(record.time_first)),
    h("td", { class: "time" }, isoTime(record.time_last)),
    h("td", { class: "num" }, formatCount(record.count)),
  );
}

/**
 * The table of `records`, sorted by `sort`; `onSort` is told the new order when a header is used (the
 * caller keeps it, so the order holds from page to page).
 */
export function recordsTable(
  records: readonly CofRecord[],
  sort: Sort | undefined,
  onSort: (sort: Sort | undefined) => void,
): HTMLElement {
  const tbody = h("tbody");
  const headers = new Map<SortKey, HTMLTableCellElement>();
  const apply = (next: Sort | undefined) => {
    for (const [key, th] of headers) {
      th.setAttribute(
        "aria-sort",
        next?.key === key ? (next.descending ? "descending" : "ascending") : "none",
      );
    }
    tbody.replaceChildren(...sortRecords(records, next).map(row));
  };
  let current = sort;
  const choose = (key: SortKey) => {
    // First use: ascending; again: descending; a third time: back to the server's order.
    if (current?.key !== key) current = { key, descending: false };
    else if (!current.descending) current = { key, descending: true };
    else current = undefined;
    apply(current);
    onSort(current);
  };
  const head = h(
    "tr",
    null,
    COLUMNS.map(({ key, label, numeric }) => {
      const th = h(
        "th",
        {
          scope: "col",
          class: numeric ? "num" : undefined,
          tabindex: "0",
          "aria-sort": "none",
          title: `Sort this page by ${label.toLowerCase()}`,
          onclick: () => choose(key),
          onkeydown: (event: Event) => {
            const key2 = (event as KeyboardEvent).key;
            if (key2 === "Enter" || key2 === " ") {
              event.preventDefault();
              choose(key);
            }
          },
        },
        label,
      );
      headers.set(key, th);
      return th;
    }),
  );
  apply(current);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "records" },
      h("caption", { class: "visually-hidden" }, "Passive DNS records"),
      h("thead", null, head),
      tbody,
    ),
  );
}
