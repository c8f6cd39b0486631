/**
 * One line of gamelinux/passivedns output (D4 type 8), text or JSON, to a normalised record, an
 * rcode sighting, or a reject with its reason.
 */
import { isIp } from "../dns/ip.js";
import { normalizeName } from "../dns/name.js";
import { rcodeFromAnswer } from "../dns/rcode.js";
import { normalizeRdata } from "../dns/rdata.js";
import { rrtypeFromText } from "../dns/rrtype.js";
import { isLoneSurrogateFree } from "./unicode-text.js";

/**
 * Why a line was not ingested. `line_too_long` and `invalid_utf8` (for raw bytes) are for the line
 * reader's caller; the JSON parser also gives `invalid_utf8` for an escaped lone surrogate.
 */
export type RejectReason =
  | "field_count"
  | "bad_timestamp"
  | "bad_ip"
  | "bad_class"
  | "non_in_class"
  | "bad_name"
  | "unknown_rrtype"
  | "bad_rdata"
  | "bad_ttl"
  | "bad_count"
  | "bad_json"
  | "invalid_utf8"
  | "line_too_long";

/** The outcome of parsing one line. `time` is epoch seconds; client and server IPs are not kept. */
export type ParsedLine =
  | { kind: "record"; rrname: string; rrtype: number; rdata: string; time: number; count: number }
  | { kind: "rcode"; rrname: string; qtype: number; rcode: number; time: number; count: number }
  | { kind: "reject"; reason: RejectReason; detail: string }
  | { kind: "blank" };

/** A column of the sensor's output; `ignore` is one we skip (hostname, MACs, protocol, lengths). */
export type FieldName =
  | "time"
  | "client"
  | "server"
  | "class"
  | "query"
  | "type"
  | "answer"
  | "ttl"
  | "count"
  | "ignore";

/** How a stream is laid out: text with a delimiter, or JSON lines; `fields` in printed order. */
export interface PassiveDnsLayout {
  format: "text" | "json";
  delimiter: string;
  fields: readonly FieldName[];
}

/** The sensor's defaults: `-d '||' -f SMcsCQTAtn`. */
export const DEFAULT_LAYOUT: PassiveDnsLayout = {
  format: "text",
  delimiter: "||",
  fields: ["time", "client", "server", "class", "query", "type", "answer", "ttl", "count"],
};

// The sensor prints the columns it is asked for in this fixed order, whatever the order of the -f
// letters. S and M share one column ("sec.usec", or "sec" with S alone); M alone prints only usec.
const LETTER_ORDER: ReadonlyArray<readonly [string, FieldName]> = [
  ["S", "time"],
  ["h", "ignore"],
  ["c", "client"],
  ["w", "ignore"],
  ["s", "server"],
  ["W", "ignore"],
  ["p", "ignore"],
  ["C", "class"],
  ["Q", "query"],
  ["L", "ignore"],
  ["T", "type"],
  ["A", "answer"],
  ["l", "ignore"],
  ["t", "ttl"],
  ["n", "count"],
];
const KNOWN_LETTERS = "HSMhcwsWpCQLTAltn";

/**
 * The layout fields of a passivedns `-f` letter set, in the order the sensor prints them.
 * Throws on an unknown letter, and on `H` (a local date-time without its zone).
 */
export function parseFieldLetters(letters: string): FieldName[] {
  if (letters.length === 0) throw new Error("passivedns field letters are empty");
  for (const letter of letters) {
    if (!KNOWN_LETTERS.includes(letter)) throw new Error(`unknown passivedns field letter "${letter}"`);
  }
  if (letters.includes("H")) {
    throw new Error('passivedns field letter "H" prints local time without a zone; run the sensor with "S"');
  }
  const fields: FieldName[] = [];
  if (!letters.includes("S") && letters.includes("M")) fields.push("ignore");
  for (const [letter, field] of LETTER_ORDER) if (letters.includes(letter)) fields.push(field);
  return fields;
}

const MAX_UINT32 = 0xffffffff;
const MAX_DETAIL = 120;
const REQUIRED: readonly FieldName[] = ["time", "query", "type", "answer"];

type ClassKind = "in" | "other" | "bad";

const CLASS_NAMES = new Map<string, number>([
  ["IN", 1],
  ["CH", 3],
  ["HS", 4],
  ["NONE", 254],
  ["ANY", 255],
]);

/** Digits only, at most `maxDigits`; -1 otherwise. */
function parseDigits(s: string, start: number, end: number, maxDigits: number): number {
  if (end <= start || end - start > maxDigits) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function classKind(text: string): ClassKind {
  if (text === "IN") return "in";
  const upper = text.toUpperCase();
  const start = upper.startsWith("CLASS") ? 5 : 0;
  const number = CLASS_NAMES.get(upper) ?? parseDigits(upper, start, upper.length, 5);
  if (number === 1) return "in";
  return number === 3 || number === 4 || number === 254 || number === 255 ? "other" : "bad";
}

/** Seconds of "sec" or "sec.usec" in s[start, end); -1 when malformed or beyond 32 bits. */
function parseTime(s: string, start: number, end: number): number {
  let dot = end;
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) === 46) {
      dot = i;
      break;
    }
  }
  const seconds = parseDigits(s, start, dot, 10);
  if (seconds < 0 || seconds > MAX_UINT32) return -1;
  if (dot < end && parseDigits(s, dot + 1, end, 9) < 0) return -1;
  return seconds;
}

function isUintUpTo(value: unknown, max: number): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= max;
}

function reject(reason: RejectReason, detail: string): ParsedLine {
  const short = detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail;
  return { kind: "reject", reason, detail: short };
}

/** `what` and the offending value, quoted so that control characters stay visible. */
function describe(what: string, value: unknown): string {
  if (value === undefined) return `${what} missing`;
  const shown = typeof value === "string" && value.length > MAX_DETAIL ? value.slice(0, MAX_DETAIL) : value;
  return `${what} ${JSON.stringify(shown)}`;
}

// Markers finish() returns so that its callers build the detail only when a line is rejected.
const BAD_TTL: ParsedLine = { kind: "reject", reason: "bad_ttl", detail: "" };
const BAD_COUNT: ParsedLine = { kind: "reject", reason: "bad_count", detail: "" };

/**
 * The checks both formats share, from the query column on; the caller has checked the time and the
 * addresses. `count` is -1 when the count column is invalid.
 */
function finish(
  time: number,
  query: string,
  type: string,
  answer: string,
  ttlOk: boolean,
  count: number,
): ParsedLine {
  const rrname = normalizeName(query);
  if (rrname === undefined) return reject("bad_name", describe("query name", query));
  const rrtype = rrtypeFromText(type);
  if (rrtype === undefined) return reject("unknown_rrtype", describe("rrtype", type));
  const rcode = rcodeFromAnswer(answer);
  let rdata: string | undefined;
  if (rcode === undefined) {
    rdata = normalizeRdata(rrtype, answer);
    if (rdata === undefined) return reject("bad_rdata", describe(`rdata for ${type}`, answer));
  }
  if (!ttlOk) return BAD_TTL;
  if (count < 1) return BAD_COUNT;
  if (rcode !== undefined) return { kind: "rcode", rrname, qtype: rrtype, rcode, time, count };
  return { kind: "record", rrname, rrtype, rdata: rdata as string, time, count };
}

function validateLayout(layout: PassiveDnsLayout): void {
  for (const field of REQUIRED) {
    if (!layout.fields.includes(field)) throw new Error(`passivedns layout has no "${field}" field`);
  }
  const seen = new Set<FieldName>();
  for (const field of layout.fields) {
    if (field !== "ignore" && seen.has(field)) throw new Error(`passivedns layout repeats "${field}"`);
    seen.add(field);
  }
  if (layout.format === "text" && layout.delimiter.length === 0) {
    throw new Error("passivedns layout has an empty delimiter");
  }
}

function isBlank(line: string): boolean {
  // Only a line that starts with whitespace can be blank; spare the others a trim().
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0);
}

/**
 * A line parser for streams in `layout` (checked here: throws if the layout lacks a time, query,
 * type or answer field). The parser never throws: every input gives a record, an rcode, a blank or a
 * reject. In text mode an answer that contains the delimiter (a TXT with `||`) is kept whole.
 */
export function createPassiveDnsParser(layout: PassiveDnsLayout): (line: string) => ParsedLine {
  validateLayout(layout);
  const fields = layout.fields;
  const at = (name: FieldName) => fields.indexOf(name);
  const iTime = at("time");
  const iClient = at("client");
  const iServer = at("server");
  const iClass = at("class");
  const iQuery = at("query");
  const iType = at("type");
  const iAnswer = at("answer");
  const iTtl = at("ttl");
  const iCount = at("count");

  if (layout.format === "json") {
    return function parsePassiveDnsJson(line: string): ParsedLine {
      try {
        return parseJson(line);
      } catch (err) {
        return reject("bad_json", `unexpected parser error: ${String(err)}`);
      }
    };
  }

  const delimiter = layout.delimiter;
  const width = delimiter.length;
  const lead = delimiter.charAt(0);
  const total = fields.length;
  const right = total - 1 - iAnswer;
  // Column bounds of the current line. The parser is synchronous, so these arrays serve every line.
  const starts = new Int32Array(total);
  const ends = new Int32Array(total);

  /** Next delimiter at or after `from`, or -1. A one-character indexOf is much faster than a longer one. */
  function find(line: string, from: number): number {
    for (let d = line.indexOf(lead, from); d >= 0; d = line.indexOf(lead, d + 1)) {
      let k = 1;
      while (k < width && line.charCodeAt(d + k) === delimiter.charCodeAt(k)) k++;
      if (k === width) return d;
    }
    return -1;
  }

  /**
   * Fills starts/ends; false when the line has fewer columns than the layout. Columns left of the
   * answer come from the first delimiters and columns right of it from the last ones, so any extra
   * delimiters (a TXT with `||`) stay inside the answer.
   */
  function split(line: string): boolean {
    let from = 0;
    for (let k = 0; k < iAnswer; k++) {
      const d = find(line, from);
      if (d < 0) return false;
      starts[k] = from;
      ends[k] = d;
      from = d + width;
    }
    starts[iAnswer] = from;
    let end = line.length;
    // Right of the answer, delimiters are taken from the end (the last match that ends at or before
    // the column): an answer ending with the delimiter's first character (`x|` before `||`) stays whole.
    for (let j = right - 1; j >= 0; j--) {
      const d = end - width < from ? -1 : line.lastIndexOf(delimiter, end - width);
      if (d < from) return false;
      starts[iAnswer + 1 + j] = d + width;
      ends[iAnswer + 1 + j] = end;
      end = d;
    }
    ends[iAnswer] = end;
    return true;
  }

  const column = (line: string, k: number) => line.slice(starts[k], ends[k]);
  const digits = (line: string, k: number, max: number) =>
    parseDigits(line, starts[k] ?? 0, ends[k] ?? 0, max);
  const isIpColumn = (line: string, k: number) => isIp(line, starts[k], ends[k]);

  /** Whether the class column says IN, without slicing it in the usual case. */
  function isInClass(line: string): boolean {
    const start = starts[iClass] ?? 0;
    if (
      (ends[iClass] ?? 0) - start === 2 &&
      line.charCodeAt(start) === 73 &&
      line.charCodeAt(start + 1) === 78
    ) {
      return true;
    }
    return classKind(column(line, iClass)) === "in";
  }

  function parseText(raw: string): ParsedLine {
    // Lines popped from a D4 queue skip the line reader, so a CR may still be there.
    const line = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (isBlank(line)) return { kind: "blank" };
    if (!split(line)) {
      return reject("field_count", `expected ${total} fields, got ${line.split(delimiter).length}`);
    }
    const time = parseTime(line, starts[iTime] ?? 0, ends[iTime] ?? 0);
    if (time < 0) return reject("bad_timestamp", describe("timestamp", column(line, iTime)));
    if (iClient >= 0 && !isIpColumn(line, iClient)) {
      return reject("bad_ip", describe("client ip", column(line, iClient)));
    }
    if (iServer >= 0 && !isIpColumn(line, iServer)) {
      return reject("bad_ip", describe("server ip", column(line, iServer)));
    }
    if (iClass >= 0 && !isInClass(line)) {
      const reason = classKind(column(line, iClass)) === "other" ? "non_in_class" : "bad_class";
      return reject(reason, describe("class", column(line, iClass)));
    }
    let ttlOk = true;
    if (iTtl >= 0) {
      const ttl = digits(line, iTtl, 10);
      ttlOk = ttl >= 0 && ttl <= MAX_UINT32;
    }
    let count = 1;
    if (iCount >= 0) {
      count = digits(line, iCount, 16);
      if (count > Number.MAX_SAFE_INTEGER) count = -1;
    }
    const result = finish(
      time,
      column(line, iQuery),
      column(line, iType),
      column(line, iAnswer),
      ttlOk,
      count,
    );
    if (result === BAD_TTL) return reject("bad_ttl", describe("ttl", column(line, iTtl)));
    if (result === BAD_COUNT) return reject("bad_count", describe("count", column(line, iCount)));
    return result;
  }

  function parseJson(line: string): ParsedLine {
    if (isBlank(line)) return { kind: "blank" };
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return reject("bad_json", describe("invalid JSON", line));
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      return reject("bad_json", describe("not a JSON object:", line));
    }
    const o = parsed as Record<string, unknown>;
    const seconds = o.timestamp_s;
    if (!isUintUpTo(seconds, MAX_UINT32)) return reject("bad_timestamp", describe("timestamp_s", seconds));
    const micros = o.timestamp_ms;
    if (micros !== undefined && !isUintUpTo(micros, 999_999)) {
      return reject("bad_timestamp", describe("timestamp_ms", micros));
    }
    if (iClient >= 0 && (typeof o.client !== "string" || !isIp(o.client))) {
      return reject("bad_ip", describe("client ip", o.client));
    }
    if (iServer >= 0 && (typeof o.server !== "string" || !isIp(o.server))) {
      return reject("bad_ip", describe("server ip", o.server));
    }
    if (iClass >= 0) {
      const kind = typeof o.class === "string" ? classKind(o.class) : "bad";
      if (kind !== "in") {
        return reject(kind === "other" ? "non_in_class" : "bad_class", describe("class", o.class));
      }
    }
    const { query, type, answer } = o;
    if (typeof query !== "string") return reject("bad_name", describe("query name", query));
    if (typeof type !== "string") return reject("unknown_rrtype", describe("rrtype", type));
    if (typeof answer !== "string") return reject("bad_rdata", describe("answer", answer));
    // JSON escapes can smuggle in half a surrogate pair, which has no UTF-8 form.
    if (line.includes("\\u") && !isLoneSurrogateFree(answer)) {
      return reject("invalid_utf8", "answer has a lone UTF-16 surrogate");
    }
    const ttlOk = iTtl < 0 || isUintUpTo(o.ttl, MAX_UINT32);
    const count = iCount < 0 ? 1 : isUintUpTo(o.count, Number.MAX_SAFE_INTEGER) ? (o.count as number) : -1;
    const result = finish(seconds as number, query, type, answer, ttlOk, count);
    if (result === BAD_TTL) return reject("bad_ttl", describe("ttl", o.ttl));
    if (result === BAD_COUNT) return reject("bad_count", describe("count", o.count));
    return result;
  }

  return function parsePassiveDnsLine(line: string): ParsedLine {
    try {
      return parseText(line);
    } catch (err) {
      return reject("field_count", `unexpected parser error: ${String(err)}`);
    }
  };
}
