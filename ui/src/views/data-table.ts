/**
 * The pages' read-only tables: a table in its scrolling frame, a caption for screen readers, column
 * heads, rows added as they come. Each cell carries its column's name (`data-label`): in a table of class
 * `admin-table stack`, a window under 640 px shows every row as a card of labelled lines instead of a
 * table wider than the window.
 */
import { type Child, h } from "../lib/dom.js";

/** A column head; numeric columns are right-aligned. */
export type Column = string | { label: string; numeric: true };

/** A cell: its class (value, time, num...) and what it shows. */
export type Cell = readonly [cssClass: string, content: Child];

export interface DataTable {
  element: HTMLElement;
  /** Appends rows, labelling each cell with its column. */
  add(rows: HTMLElement[]): void;
}

const labelOf = (column: Column) => (typeof column === "string" ? column : column.label);

export function dataTable(options: {
  className: string;
  columns: readonly Column[];
  caption?: string;
  /** Rows to start with, as cells. */
  rows?: ReadonlyArray<readonly Cell[]>;
}): DataTable {
  const body = h("tbody");
  const element = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: options.className },
      options.caption ? h("caption", { class: "visually-hidden" }, options.caption) : null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          options.columns.map((column) =>
            h("th", { scope: "col", class: typeof column === "string" ? undefined : "num" }, labelOf(column)),
          ),
        ),
      ),
      body,
    ),
  );
  const table: DataTable = {
    element,
    add(rows) {
      for (const row of rows) {
        Array.from(row.children).forEach((cell, i) => {
          const column = options.columns[i];
          if (column !== undefined) cell.setAttribute("data-label", labelOf(column));
        });
      }
      body.append(...rows);
    },
  };
  if (options.rows) table.add(options.rows.map(cellRow));
  return table;
}

/** A row of cells. */
export function cellRow(cells: readonly Cell[]): HTMLTableRowElement {
  return h(
    "tr",
    null,
    cells.map(([cssClass, content]) => h("td", { class: cssClass }, content)),
  );
}
