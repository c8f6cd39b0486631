/**
 * The passive DNS part of a search page: the filters (type, time fences as whole UTC days, page size),
 * one page of records at a time through the server's stable cursor (Previous / Next; the page holds one
 * page of rows, never the whole answer), the page's timeline and table, and export of every page to CSV
 * or NDJSON. The filters live in the URL, so a filtered search can be shared and reloaded; the page
 * number does not (the cursor is the server's, and a reload starts from the first page).
 */
import { ApiFailure } from "../lib/api.js";
import { type Child, h, show } from "../lib/dom.js";
import { downloadText } from "../lib/download.js";
import { exportFileName, toCsv, toNdjson } from "../lib/export.js";
import { formatCount, isoTime, plural } from "../lib/format.js";
import { fetchRecordPage, type RecordPage } from "../lib/pdns.js";
import {
  COMMON_RRTYPES,
  type CofRecord,
  filtersOf,
  groupRecords,
  hasFilters,
  PAGE_SIZES,
  pageSizeOf,
  type RecordFilters,
  type Sort,
} from "../lib/records.js";
import { link, navigate, searchHref } from "../lib/router.js";
import { empty, failure, loading } from "../lib/states.js";
import { recordsTable } from "./records-table.js";
import { spanTitle, timeline } from "./timeline.js";
import type { ViewContext } from "./view.js";

/** An export stops after this many records (and says so): the filters narrow a larger answer. */
export const EXPORT_CAP = 100_000;
/** Records per request while exporting: few requests (each counts against the user's quota). */
const EXPORT_PAGE = 5_000;

export interface RecordsOptions {
  /** What was searched: `kind` as lib/classify.ts says, `value` normalised. */
  kind: string;
  value: string;
  title: string;
  /** What to say when there is nothing, and what to try instead. */
  none: { message: string; hint?: Child };
}

function filterForm(q: string, filters: RecordFilters, size: number): HTMLFormElement {
  const types =
    COMMON_RRTYPES.includes(filters.rrtype) || filters.rrtype === ""
      ? COMMON_RRTYPES
      : [filters.rrtype, ...COMMON_RRTYPES];
  const rrtype = h(
    "select",
    { name: "rrtype" },
    h("option", { value: "" }, "All types"),
    types.map((type) => h("option", { value: type, selected: type === filters.rrtype }, type)),
  );
  const day = (name: string, value: string) => h("input", { type: "date", name, value, max: "9999-12-31" });
  const days: Array<[keyof RecordFilters, string, string]> = [
    ["firstAfter", "first_after", "First seen from"],
    ["firstBefore", "first_before", "First seen until"],
    ["lastAfter", "last_after", "Last seen from"],
    ["lastBefore", "last_before", "Last seen until"],
  ];
  const sizeSelect = h(
    "select",
    { name: "size" },
    PAGE_SIZES.map((n) => h("option", { value: n, selected: n === size }, `${n} per page`)),
  );
  const form = h(
    "form",
    { class: "inline-form filters", "aria-label": "Filter records" },
    h("label", null, "Type", rrtype),
    days.map(([key, name, label]) => h("label", null, label, day(name, filters[key]))),
    h("label", null, "Page size", sizeSelect),
    h("button", { type: "submit" }, "Apply"),
    hasFilters(filters)
      ? link(
          searchHref(q, size === PAGE_SIZES[0] ? {} : { size: String(size) }),
          { class: "clear" },
          "Clear filters",
        )
      : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const params: Record<string, string> = {};
    for (const [name, value] of data) params[name] = String(value);
    if (params.size === String(PAGE_SIZES[0])) delete params.size;
    navigate(searchHref(q, params));
  });
  return form;
}

const CSV_COLUMNS = [
  "rrname",
  "rrtype",
  "rdata",
  "time_first",
  "time_last",
  "count",
  { header: "first_seen_utc", value: (r: CofRecord) => isoTime(r.time_first) },
  { header: "last_seen_utc", value: (r: CofRecord) => isoTime(r.time_last) },
] as const;

/** The records section of a search page: appended to `root` by the caller, it loads its first page. */
export function recordsSection(context: ViewContext, options: RecordsOptions): HTMLElement {
  const { route, signal } = context;
  const { kind, value } = options;
  const q = route.params.get("q") ?? value;
  const filters = filtersOf(route.params);
  const size = pageSizeOf(route.params);

  const status = h("p", { class: "page-status", role: "status" });
  const exportStatus = h("span", { class: "export-status", role: "status" });
  const csvButton = h("button", { type: "button", class: "secondary" }, "Export CSV");
  const ndjsonButton = h("button", { type: "button", class: "secondary" }, "Export NDJSON");
  const cancelButton = h("button", { type: "button", class: "secondary", hidden: true }, "Cancel export");
  const content = h("div", { class: "records-content" });

  /** cursors[i] starts page i (undefined: the first page); starts[i] is how many records come before it
   * (pages can be shorter than asked when the user's results_max is lower). */
  const cursors: Array<string | undefined> = [undefined];
  const starts: number[] = [0];
  let pageIndex = 0;
  let sort: Sort | undefined;
  let pageLoad: AbortController | undefined;

  const showPage = (records: CofRecord[], more: boolean) => {
    const first = (starts[pageIndex] ?? 0) + 1;
    if (records.length === 0 && pageIndex === 0) {
      status.textContent = "";
      show(
        content,
        hasFilters(filters)
          ? empty(
              "No records match these filters.",
              h(
                "span",
                null,
                "Widen the dates or pick another type, or ",
                link(searchHref(q), null, "clear the filters"),
                ".",
              ),
            )
          : empty(options.none.message, options.none.hint),
      );
      return;
    }
    status.textContent =
      pageIndex === 0 && !more
        ? `${plural(records.length, "record")}.`
        : `Page ${pageIndex + 1}: records ${formatCount(first)}–${formatCount(first + records.length - 1)}${more ? ", more follow" : ", the last page"}.`;
    const pageSignal = pageLoad?.signal ?? signal;
    const groups = groupRecords(records, kind, value).map((group) => ({
      title: group.title,
      rows: group.rows.map((row) => ({
        label: row.label,
        pivot: row.pivot,
        first: row.record.time_first,
        last: row.record.time_last,
        title: spanTitle(
          `${row.record.rrname} ${row.record.rrtype} ${row.record.rdata}`,
          row.record.time_first,
          row.record.time_last,
          row.record.count,
        ),
      })),
    }));
    show(
      content,
      h("h3", null, "Timeline"),
      timeline(
        groups,
        "One bar per record of this page, from first to last seen. Hover a bar for its dates; a label searches its value.",
        pageSignal,
      ),
      h("h3", null, "Records"),
      h("p", { class: "hint" }, "Sort by a column header (click, or Enter): it orders this page only."),
      recordsTable(records, sort, (chosen) => {
        sort = chosen;
      }),
    );
  };

  const load = async (index: number) => {
    pageLoad?.abort();
    const controller = new AbortController();
    signal.addEventListener("abort", () => controller.abort(), { once: true });
    pageLoad = controller;
    for (const pager of pagers) {
      pager.previous.disabled = true;
      pager.next.disabled = true;
    }
    show(content, loading(index === 0 ? "Loading records…" : `Loading page ${index + 1}…`));
    try {
      const page = await fetchRecordPage(value, filters, size, cursors[index], controller.signal);
      if (controller.signal.aborted) return;
      pageIndex = index;
      cursors[index + 1] = page.cursor;
      cursors.length = index + 2;
      starts[index + 1] = (starts[index] ?? 0) + page.records.length;
      starts.length = index + 2;
      showPage(page.records, page.cursor !== undefined);
      for (const pager of pagers) {
        pager.previous.disabled = index === 0;
        pager.next.disabled = page.cursor === undefined;
        pager.label.textContent = `Page ${index + 1}`;
        pager.nav.hidden = index === 0 && page.cursor === undefined;
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      status.textContent = "";
      show(
        content,
        failure(error, () => void load(index)),
      );
      for (const pager of pagers) pager.previous.disabled = index === 0;
    }
  };

  /** Goes to another page, and brings the start of the records into view. */
  const turn = (index: number) => {
    void load(index).then(() => {
      if (!signal.aborted) section.scrollIntoView({ block: "start" });
    });
  };
  /** Previous / Next, above the records (beside the count) and below them. */
  const pagerOf = (where: string) => {
    const previous = h("button", { type: "button", class: "secondary", disabled: true }, "← Previous page");
    const next = h("button", { type: "button", class: "secondary", disabled: true }, "Next page →");
    const label = h("span", { class: "page-label" });
    previous.addEventListener("click", () => {
      if (pageIndex > 0) turn(pageIndex - 1);
    });
    next.addEventListener("click", () => {
      if (cursors[pageIndex + 1] !== undefined) turn(pageIndex + 1);
    });
    const nav = h(
      "nav",
      { class: `pager ${where}`, "aria-label": `Pages of records (${where})`, hidden: true },
      previous,
      label,
      next,
    );
    return { nav, previous, next, label };
  };
  const pagers = [pagerOf("top"), pagerOf("bottom")];

  let exporting: AbortController | undefined;
  const runExport = async (format: "csv" | "ndjson") => {
    exporting = new AbortController();
    const exportSignal = exporting.signal;
    signal.addEventListener("abort", () => exporting?.abort(), { once: true });
    csvButton.disabled = true;
    ndjsonButton.disabled = true;
    cancelButton.hidden = false;
    const records: CofRecord[] = [];
    let cursor: string | undefined;
    let capped = false;
    let pageSize = EXPORT_PAGE;
    try {
      for (;;) {
        exportStatus.textContent = `Exporting… ${plural(records.length, "record")} so far`;
        const take = Math.min(pageSize, EXPORT_CAP - records.length);
        let page: RecordPage;
        try {
          page = await fetchRecordPage(value, filters, take, cursor, exportSignal);
        } catch (error) {
          // A server with a smaller --max-page-size says how large a page may be: ask again with that.
          const most = error instanceof ApiFailure && /between 1 and (\d+)/.exec(error.message)?.[1];
          if (!most || Number(most) >= take) throw error;
          pageSize = Number(most);
          continue;
        }
        records.push(...page.records);
        cursor = page.cursor;
        capped = cursor !== undefined && records.length >= EXPORT_CAP;
        if (cursor === undefined || capped) break;
      }
      const text = format === "csv" ? toCsv(records, CSV_COLUMNS) : toNdjson(records);
      downloadText(
        exportFileName("pdns", value, format),
        text,
        format === "csv" ? "text/csv;charset=utf-8" : "application/x-ndjson",
      );
      exportStatus.textContent = capped
        ? `Exported the first ${formatCount(EXPORT_CAP)} records: narrow the search with the filters to export the rest.`
        : `Exported ${plural(records.length, "record")} (${format.toUpperCase()}).`;
    } catch (error) {
      exportStatus.textContent = exportSignal.aborted
        ? "Export cancelled."
        : `Export failed: ${error instanceof Error ? error.message : String(error)}. Try again.`;
    } finally {
      csvButton.disabled = false;
      ndjsonButton.disabled = false;
      cancelButton.hidden = true;
    }
  };
  csvButton.addEventListener("click", () => void runExport("csv"));
  ndjsonButton.addEventListener("click", () => void runExport("ndjson"));
  cancelButton.addEventListener("click", () => exporting?.abort());

  const section = h(
    "section",
    { class: "records-section", "aria-labelledby": "records-title" },
    h("h2", { id: "records-title" }, options.title),
    filterForm(q, filters, size),
    h(
      "div",
      { class: "toolbar" },
      status,
      pagers[0]?.nav,
      h("span", { class: "spacer" }),
      h(
        "span",
        { class: "export", title: "Every page of this search with these filters, up to 100,000 records" },
        csvButton,
        ndjsonButton,
        cancelButton,
        exportStatus,
      ),
    ),
    content,
    pagers[1]?.nav,
  );
  void load(0);
  return section;
}
