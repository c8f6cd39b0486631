/**
 * Records as files an analyst opens elsewhere: CSV (RFC 4180) for spreadsheets and NDJSON (the API's own
 * COF lines) for scripts. Pure (no DOM), so the unit tests run it in Node; lib/download.ts saves the text.
 *
 * The CSV is safe to open in a spreadsheet: a text cell starting with `=`, `+`, `-`, `@` (or a tab or a
 * carriage return, which some spreadsheets skip before reading a formula) gets a leading `'`, so a TXT
 * record such as `=HYPERLINK(...)` stays text instead of becoming a formula (CSV injection).
 */

/** A column: a field of the record by name, or a header and how to get the cell from a record. */
export type CsvColumn<T> = (keyof T & string) | { header: string; value: (record: T) => unknown };

/** Characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: text guarded against formulas, quoted when it holds a comma, a quote or a line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text: string;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    // Numbers are data, never formulas (a negative number stays a number).
    text = String(value);
  } else {
    text = typeof value === "string" ? value : JSON.stringify(value);
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Records as CSV: a header line, then one line per record, every line ending in CRLF (RFC 4180). */
export function toCsv<T>(records: Iterable<T>, columns: ReadonlyArray<CsvColumn<T>>): string {
  const headers = columns.map((column) => (typeof column === "string" ? column : column.header));
  const lines = [headers.map(csvCell).join(",")];
  for (const record of records) {
    lines.push(
      columns
        .map((column) =>
          csvCell(
            typeof column === "string" ? (record as Record<string, unknown>)[column] : column.value(record),
          ),
        )
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** Records as NDJSON: one JSON object per `\n`-ended line (empty text for no records). */
export function toNdjson(records: Iterable<unknown>): string {
  let text = "";
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
}

/**
 * A file name for an export of a search: `pdns-<value>.<ext>`, the value kept to characters every file
 * system takes (`*.example.com` → `pdns-wildcard.example.com.csv`, `192.0.2.0/24` → `pdns-192.0.2.0_24.csv`,
 * `::1` → `pdns---1.csv`).
 */
export function exportFileName(prefix: string, value: string, extension: string): string {
  const safe = value
    .replace(/^\*\./, "wildcard.")
    .replace(/\.\*$/, ".wildcard")
    .replace(/:/g, "-")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^\.+/, "")
    .slice(0, 100);
  return `${prefix}-${safe || "export"}.${extension}`;
}
