/**
 * Passive DNS records on the pages: the COF record, the filters a search URL holds (rrtype and the four
 * DNSDB time fences as whole UTC days), which values are pivots, how a page of records sorts, and how
 * the timeline groups them. Pure (no DOM), so the unit tests run it in Node.
 */
import { classify } from "./classify.js";
import { dayToEpoch } from "./format.js";

/** A COF record, as the API answers it. */
export interface CofRecord {
  rrname: string;
  /** The mnemonic, or a number for a type without one. */
  rrtype: string | number;
  rdata: string;
  time_first: number;
  time_last: number;
  count: number;
  origin?: string;
}

/** What narrows a search: each one a URL parameter (days are `YYYY-MM-DD`, UTC). */
export interface RecordFilters {
  rrtype: string;
  firstAfter: string;
  firstBefore: string;
  lastAfter: string;
  lastBefore: string;
}

export const PAGE_SIZES = [100, 500, 1000] as const;
export const DEFAULT_PAGE_SIZE = 100;

/** URL parameter → filter, in the order the form shows them. */
export const FILTER_PARAMS: Array<[keyof RecordFilters, string]> = [
  ["rrtype", "rrtype"],
  ["firstAfter", "first_after"],
  ["firstBefore", "first_before"],
  ["lastAfter", "last_after"],
  ["lastBefore", "last_before"],
];

export function filtersOf(params: URLSearchParams): RecordFilters {
  const filters: RecordFilters = {
    rrtype: "",
    firstAfter: "",
    firstBefore: "",
    lastAfter: "",
    lastBefore: "",
  };
  for (const [key, name] of FILTER_PARAMS) filters[key] = (params.get(name) ?? "").trim();
  filters.rrtype = filters.rrtype.toUpperCase();
  return filters;
}

export function pageSizeOf(params: URLSearchParams): number {
  const size = Number(params.get("size"));
  return (PAGE_SIZES as readonly number[]).includes(size) ? size : DEFAULT_PAGE_SIZE;
}

/** The API's query string for the filters: `rrtype` and the DNSDB time fences in epoch seconds. */
export function apiQuery(filters: RecordFilters): string {
  const query = new URLSearchParams();
  if (filters.rrtype) query.set("rrtype", filters.rrtype);
  const fences: Array<[string, number | undefined]> = [
    ["time_first_after", dayToEpoch(filters.firstAfter)],
    ["time_first_before", dayToEpoch(filters.firstBefore, true)],
    ["time_last_after", dayToEpoch(filters.lastAfter)],
    ["time_last_before", dayToEpoch(filters.lastBefore, true)],
  ];
  for (const [name, epoch] of fences) if (epoch !== undefined) query.set(name, String(epoch));
  const text = query.toString();
  return text ? `?${text}` : "";
}

export function hasFilters(filters: RecordFilters): boolean {
  return Object.values(filters).some((value) => value !== "");
}

/** Record types offered by the filter (any other one typed in the URL is added to the list). */
export const COMMON_RRTYPES = [
  "A",
  "AAAA",
  "CNAME",
  "NS",
  "MX",
  "PTR",
  "SOA",
  "TXT",
  "SRV",
  "DNAME",
  "CAA",
  "HTTPS",
  "SVCB",
  "NAPTR",
  "SPF",
  "RP",
  "HINFO",
  "LOC",
  "SSHFP",
  "DS",
  "DNSKEY",
];

/** Types whose rdata is a name or an address: their values are pivots. */
export const NAME_OR_ADDRESS_RRTYPES = new Set([
  "A",
  "AAAA",
  "CNAME",
  "NS",
  "MX",
  "PTR",
  "SRV",
  "DNAME",
  "SOA",
  "RP",
  "NAPTR",
]);

/** The value of a record's rdata to search, when it is a name or an address (not for TXT and the like). */
export function rdataPivot(record: CofRecord): string | undefined {
  if (!NAME_OR_ADDRESS_RRTYPES.has(String(record.rrtype))) return undefined;
  const kind = classify(record.rdata).kind;
  return kind === "name" || kind === "ip" ? record.rdata : undefined;
}

export type SortKey = "rrname" | "rrtype" | "rdata" | "time_first" | "time_last" | "count";
export interface Sort {
  key: SortKey;
  descending: boolean;
}

/** A copy of the records in the order asked (ties keep the server's order: the sort is stable). */
export function sortRecords(records: readonly CofRecord[], sort: Sort | undefined): CofRecord[] {
  const copy = records.slice();
  if (!sort) return copy;
  const { key, descending } = sort;
  const sign = descending ? -1 : 1;
  copy.sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const order =
      typeof x === "number" && typeof y === "number"
        ? x - y
        : String(x).localeCompare(String(y), "en", { numeric: true });
    return order * sign;
  });
  return copy;
}

/** A row of the timeline: one record, labelled by what varies between the records of its group. */
export interface GroupedRow {
  label: string;
  pivot: string | undefined;
  record: CofRecord;
}
export interface RecordGroup {
  title: string;
  rows: GroupedRow[];
}

/** The usual order of types in a group list; others follow alphabetically. */
const TYPE_ORDER = ["A", "AAAA", "CNAME", "DNAME", "NS", "MX", "SOA", "PTR", "SRV", "TXT"];
function typeRank(rrtype: string): number {
  const index = TYPE_ORDER.indexOf(rrtype);
  return index < 0 ? TYPE_ORDER.length : index;
}

/**
 * The records of a page in timeline groups, so a change of address or name server reads as a staircase:
 * - a name: one group per type of the records it owns (a row per value), then one per type of the
 *   records pointing to it (a row per owner name);
 * - an address: one group per type (A, AAAA), a row per name pointing there;
 * - a wildcard or a block: one group per type, a row per record (`name → value`), rows of one name (a
 *   wildcard) or of one address (a block) next to each other.
 * Rows run in order of first sighting within that; groups are ordered by type (TYPE_ORDER first).
 */
export function groupRecords(records: readonly CofRecord[], kind: string, value: string): RecordGroup[] {
  const groups = new Map<string, RecordGroup>();
  const add = (key: string, title: string, row: GroupedRow) => {
    let group = groups.get(key);
    if (!group) {
      group = { title, rows: [] };
      groups.set(key, group);
    }
    group.rows.push(row);
  };
  const many = kind === "wildcard" || kind === "block";
  for (const record of records) {
    const type = String(record.rrtype);
    if (many) {
      add(`0 ${type}`, type, { label: `${record.rrname} → ${record.rdata}`, pivot: record.rrname, record });
    } else if (kind === "name" && record.rrname === value) {
      add(`0 ${type}`, type, { label: record.rdata, pivot: rdataPivot(record), record });
    } else {
      // Records pointing to the name (or to the address): who points, by type.
      const title = kind === "name" ? `${type} pointing here` : type;
      add(`1 ${type}`, title, { label: record.rrname, pivot: record.rrname, record });
    }
  }
  const list = [...groups.entries()].sort(([a], [b]) => {
    const [sideA = "", typeA = ""] = a.split(" ");
    const [sideB = "", typeB = ""] = b.split(" ");
    return sideA.localeCompare(sideB) || typeRank(typeA) - typeRank(typeB) || typeA.localeCompare(typeB);
  });
  const side = (record: CofRecord) =>
    kind === "block" ? record.rdata : kind === "wildcard" ? record.rrname : "";
  for (const [, group] of list) {
    group.rows.sort(
      (a, b) =>
        side(a.record).localeCompare(side(b.record), "en", { numeric: true }) ||
        a.record.time_first - b.record.time_first ||
        a.record.time_last - b.record.time_last,
    );
  }
  return list.map(([, group]) => group);
}
