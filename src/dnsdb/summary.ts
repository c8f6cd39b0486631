/**
 * DNSDB's summarize verb: one `{"obj":{"count","num_results","time_first","time_last"}}` between begin
 * and the terminator — the sum of the counts, the number of records, the earliest time_first and the
 * latest time_last of the records a lookup would return. As dnsdbq documents it, summarizing stops
 * once the summed count reaches `max_count` (the total may exceed it: the last record counts whole;
 * the answer then `succeeded`, since that is what was asked), and at most `limit` records are
 * summarized (if more remain the terminator is `limited`, with a cursor after the last record
 * summarized, so a later summarize can take up the rest). No record at all: begin and succeeded, no obj.
 */
import type { DecodedRecord } from "../pdns/record-query.js";
import { SAF_BEGIN, SAF_SUCCEEDED, safFailed, safLimited, safTime } from "./saf.js";

/** The figures of a summary. */
export interface Summary {
  count: number;
  numResults: number;
  timeFirst: number;
  timeLast: number;
}

/** How a summary is computed and framed (R: the record type the lookup yields). */
export interface SummaryFraming<R extends DecodedRecord = DecodedRecord> {
  /** Records summarized at most (at least 1). */
  limit: number;
  /** Stop once the summed count reaches this. */
  maxCount: number | undefined;
  humantime: boolean;
  cursorOf: (record: R) => string;
  failure: (error: unknown) => string;
}

/** The summary's `{"obj":...}` line. */
export function summaryLine(summary: Summary, humantime: boolean): string {
  return (
    `{"obj":{"count":${summary.count},"num_results":${summary.numResults},` +
    `"time_first":${safTime(summary.timeFirst, humantime)},"time_last":${safTime(summary.timeLast, humantime)}}}\n`
  );
}

/** The SAF text of a summarize answer (see the module comment). */
export async function* safSummaryLines<R extends DecodedRecord>(
  source: AsyncIterable<R[]>,
  framing: SummaryFraming<R>,
): AsyncGenerator<string> {
  const summary: Summary = { count: 0, numResults: 0, timeFirst: Infinity, timeLast: -Infinity };
  let last: R | undefined;
  let more = false;
  let done = false;
  try {
    for await (const chunk of source) {
      for (const record of chunk) {
        if (summary.numResults === framing.limit) {
          more = true;
          break;
        }
        summary.count += record.count;
        summary.numResults++;
        summary.timeFirst = Math.min(summary.timeFirst, record.timeFirst);
        summary.timeLast = Math.max(summary.timeLast, record.timeLast);
        last = record;
        if (framing.maxCount !== undefined && summary.count >= framing.maxCount) {
          done = true;
          break;
        }
      }
      if (more || done) break;
    }
  } catch (error) {
    yield SAF_BEGIN + safFailed(framing.failure(error));
    return;
  }
  const obj = summary.numResults > 0 ? summaryLine(summary, framing.humantime) : "";
  yield SAF_BEGIN + obj + (more && last ? safLimited(framing.cursorOf(last)) : SAF_SUCCEEDED);
}
