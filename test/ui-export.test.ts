/**
 * The web pages' exports (ui/src/lib/export.ts, pure, run here in Node): CSV as RFC 4180 says (quotes
 * doubled, fields with commas, quotes or line breaks quoted, CRLF), cells that a spreadsheet would run as
 * formulas made inert, NDJSON one object per line, and file names every file system takes.
 */
import { describe, expect, it } from "vitest";
import { csvCell, exportFileName, toCsv, toNdjson } from "../ui/src/lib/export.js";

interface Row {
  rrname: string;
  rrtype: string | number;
  rdata: string;
  count: number;
}

/** A minimal RFC 4180 reader, to check that what toCsv writes reads back as the same cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  expect(cell).toBe("");
  expect(row).toEqual([]);
  return rows;
}

describe("toCsv", () => {
  it("writes a header and one CRLF-ended line per record, columns by name or by function", () => {
    const rows: Row[] = [
      { rrname: "www.example.lu", rrtype: "A", rdata: "192.0.2.11", count: 6 },
      { rrname: "example.lu", rrtype: 65280, rdata: "x", count: 1 },
    ];
    const text = toCsv(rows, [
      "rrname",
      "rrtype",
      "rdata",
      "count",
      { header: "twice", value: (r) => r.count * 2 },
    ]);
    expect(text).toBe(
      "rrname,rrtype,rdata,count,twice\r\nwww.example.lu,A,192.0.2.11,6,12\r\nexample.lu,65280,x,1,2\r\n",
    );
    expect(toCsv([], ["rrname"])).toBe("rrname\r\n");
  });

  it("quotes commas, quotes and line breaks, and reads back to the same cells", () => {
    const tricky = [
      'v=spf1 include:"quoted", ~all',
      'He said \\"hello D4\\" and left',
      "two\nlines",
      "carriage\rreturn",
      "crlf\r\nend",
      "",
      " spaces kept ",
      "ünïcödé ✓",
    ];
    const rows = tricky.map((rdata) => ({ rrname: "quote.example.lu", rrtype: "TXT", rdata, count: 1 }));
    const text = toCsv(rows, ["rrname", "rdata"]);
    expect(text).toContain('"v=spf1 include:""quoted"", ~all"');
    expect(text).toContain('"two\nlines"');
    const parsed = parseCsv(text);
    expect(parsed[0]).toEqual(["rrname", "rdata"]);
    expect(parsed.slice(1).map((row) => row[1])).toEqual(tricky);
  });

  it("makes formula-looking text inert with a leading quote, and leaves numbers alone", () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    expect(csvCell("+1+1")).toBe("'+1+1");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1:A2)")).toBe("'@SUM(A1:A2)");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell("\r=1")).toBe('"\'\r=1"');
    expect(csvCell("=1,2")).toBe('"\'=1,2"');
    expect(csvCell("a=b")).toBe("a=b");
    expect(csvCell("192.0.2.1")).toBe("192.0.2.1");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(0)).toBe("0");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(true)).toBe("true");
    const rows = [{ rrname: "evil.example", rrtype: "TXT", rdata: "=cmd|' /C calc'!A0", count: 1 }];
    const parsed = parseCsv(toCsv(rows, ["rrname", "rdata"]));
    expect(parsed[1]).toEqual(["evil.example", "'=cmd|' /C calc'!A0"]);
  });
});

describe("toNdjson", () => {
  it("writes one JSON object per newline-ended line, parseable back", () => {
    const rows = [
      {
        rrname: "a.example",
        rrtype: "TXT",
        rdata: 'line\nbreak "and" quotes',
        time_first: 1,
        time_last: 2,
        count: 3,
      },
      {
        rrname: "b.example",
        rrtype: 99,
        rdata: "x",
        time_first: 4,
        time_last: 5,
        count: 6,
        origin: "pdns-pssl",
      },
    ];
    const text = toNdjson(rows);
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe("");
    expect(lines.slice(0, 2).map((line) => JSON.parse(line))).toEqual(rows);
    expect(toNdjson([])).toBe("");
  });
});

describe("exportFileName", () => {
  it("names the file after the search, with characters every file system takes", () => {
    expect(exportFileName("pdns", "www.example.lu", "csv")).toBe("pdns-www.example.lu.csv");
    expect(exportFileName("pdns", "*.example.lu", "ndjson")).toBe("pdns-wildcard.example.lu.ndjson");
    expect(exportFileName("pdns", "www.example.*", "csv")).toBe("pdns-www.example.wildcard.csv");
    expect(exportFileName("pdns", "192.0.2.0/24", "csv")).toBe("pdns-192.0.2.0_24.csv");
    expect(exportFileName("pdns", "2001:db8::1", "csv")).toBe("pdns-2001-db8--1.csv");
    expect(exportFileName("pdns", "../../etc/passwd", "csv")).not.toContain("/");
    expect(exportFileName("pdns", "", "csv")).toBe("pdns-export.csv");
  });
});
