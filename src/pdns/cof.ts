/**
 * Passive DNS Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof): one JSON object per line,
 * times and counts as JSON integers, rrtype as its mnemonic (a number when it has none).
 */
import { rrtypeToCof } from "../dns/rrtype.js";
import type { DecodedRecord } from "./record-query.js";

/** One COF line, `\n` included. Built by hand: it is the hottest code of every query. */
export function cofLine(record: DecodedRecord, origin: string | undefined): string {
  const rrtype = rrtypeToCof(record.rrtype);
  return (
    `{"rrname":${JSON.stringify(record.rrname)},"rrtype":${typeof rrtype === "string" ? `"${rrtype}"` : rrtype},` +
    `"rdata":${JSON.stringify(record.rdata)},"time_first":${record.timeFirst},"time_last":${record.timeLast},` +
    `"count":${record.count}${origin === undefined ? "" : `,"origin":${JSON.stringify(origin)}`}}\n`
  );
}
