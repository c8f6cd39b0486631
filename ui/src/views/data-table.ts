/** A read-only table in its scrolling box: a caption for screen readers, column heads, rows of cells. */
import { type Child, h } from "../lib/dom.js";

/** A column head; numeric columns are right-aligned. */
export type Column = string | { label: string; numeric: true };

/** A cell: its class (value, time, num...) and what it shows. */
export type Cell = readonly [cssClass: string, content: Child];

export function dataTable(options: {
  caption: string;
  className: string;
  columns: readonly Column[];
  rows: ReadonlyArray<readonly Cell[]>;
}): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: options.className },
      h("caption", { class: "visually-hidden" }, options.caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          options.columns.map((column) =>
            typeof column === "string"
              ? h("th", { scope: "col" }, column)
              : h("th", { scope: "col", class: "num" }, column.label),
          ),
        ),
      ),
      h(
        "tbody",
        null,
        options.rows.map((cells) =>
          h(
            "tr",
            null,
            cells.map(([cssClass, content]) => h("td", { class: cssClass }, content)),
          ),
        ),
      ),
    ),
  );
}
