/**
 * Passive DNS as the pages read it: `GET /pdns/query/<value>` one page at a time through the stable
 * dribble cursor (`dribble-paginate-count` asks for a page, `x-dribble-cursor` says more remain and where
 * they start), with the filters of lib/records.ts.
 */
import { parseNdjson, request, segment } from "./api.js";
import { apiQuery, type CofRecord, type RecordFilters } from "./records.js";

export interface RecordPage {
  records: CofRecord[];
  /** Where the next page starts; undefined on the last page. */
  cursor: string | undefined;
}

/** One page of a search's records: up to `size` of them (fewer when the user's results_max is lower). */
export async function fetchRecordPage(
  value: string,
  filters: RecordFilters,
  size: number,
  cursor: string | undefined,
  signal?: AbortSignal,
): Promise<RecordPage> {
  const headers: Record<string, string> = { "dribble-paginate-count": String(size) };
  if (cursor) headers["dribble-paginate-cursor"] = cursor;
  const response = await request(`/pdns/query/${segment(value)}${apiQuery(filters)}`, { headers, signal });
  const records = parseNdjson<CofRecord>(await response.text());
  return { records, cursor: response.headers.get("x-dribble-cursor") ?? undefined };
}
