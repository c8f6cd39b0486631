/**
 * DNSDB's streaming framing (SAF): one JSON object per `\n`-ended line, never a blank one —
 * `{"cond":"begin"}`, then `{"obj":<record>}` lines, then exactly one terminator: `{"cond":"succeeded"}`,
 * `{"cond":"limited","msg":"Result limit reached","cursor":"..."}` when the limit cut the answer short
 * (the cursor resumes after the last record sent), or `{"cond":"failed","msg":"..."}` when reading
 * failed after the answer started.
 *
 * Records are COF objects as DNSDB v2 writes them: rrname, rrtype, rdata as an array of one string,
 * time_first, time_last, count (no origin or bailiwick). rrtype is always a string (`TYPE65280` for a
 * type without mnemonic: dnsdbq rejects a number there). Times are integers, or RFC 3339 strings
 * (`2024-01-02T03:04:05Z`) with humantime.
 */
import { rrtypeMnemonic } from "../dns/rrtype.js";
import type { DecodedRecord } from "../pdns/record-query.js";

/** The first line of every SAF answer. */
export const SAF_BEGIN = '{"cond":"begin"}\n';
/** The terminator of an answer that is complete. */
export const SAF_SUCCEEDED = '{"cond":"succeeded"}\n';
/** The message of a `limited` terminator, as DNSDB words it. */
export const LIMITED_MESSAGE = "Result limit reached";

/** Lines are gathered into chunks of about this many characters before they are written. */
const CHUNK_CHARS = 16_384;

/** The terminator of an answer cut short by its limit, with the cursor to the rest. */
export function safLimited(cursor: string): string {
  return `${JSON.stringify({ cond: "limited", msg: LIMITED_MESSAGE, cursor })}\n`;
}

/** The terminator of an answer that failed after it started (the message on one line). */
export function safFailed(message: string): string {
  return `${JSON.stringify({ cond: "failed", msg: message.replace(/[\r\n]+/g, " ") })}\n`;
}

/** An rrtype as DNSDB writes it: the mnemonic, or `TYPE<n>` (always a string). */
export function dnsdbRrtype(rrtype: number): string {
  return rrtypeMnemonic(rrtype) ?? `TYPE${rrtype}`;
}

/** Epoch seconds as RFC 3339 UTC with no fraction: `2024-01-02T03:04:05Z`. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.[0-9]{3}Z$/, "Z");
}

/** A time as a JSON value: an integer, or with humantime an RFC 3339 string. */
export function safTime(seconds: number, humantime: boolean): string {
  return humantime ? `"${rfc3339(seconds)}"` : String(seconds);
}

/** One `{"obj":...}` line, `\n` included. Built by hand: it is written once per record. */
export function safObjLine(record: DecodedRecord, humantime: boolean): string {
  return (
    `{"obj":{"rrname":${JSON.stringify(record.rrname)},"rrtype":"${dnsdbRrtype(record.rrtype)}",` +
    `"rdata":[${JSON.stringify(record.rdata)}],"time_first":${safTime(record.timeFirst, humantime)},` +
    `"time_last":${safTime(record.timeLast, humantime)},"count":${record.count}}}\n`
  );
}

/** How a lookup answer is framed (R: the record type the lookup yields). */
export interface LookupFraming<R extends DecodedRecord = DecodedRecord> {
  /** Records at most (at least 1). */
  limit: number;
  /** Records skipped first. */
  offset: number;
  humantime: boolean;
  /** The cursor that resumes right after a record. */
  cursorOf: (record: R) => string;
  /** The one-line message of a `failed` terminator for an error met while reading. */
  failure: (error: unknown) => string;
}

/**
 * The SAF text of a lookup answer, in chunks, pulled as the client reads: begin, the records after
 * `offset` up to `limit`, and the terminator (`limited` only when at least one more record exists).
 * Stops reading the source as soon as it knows the terminator.
 */
export async function* safLookupLines<R extends DecodedRecord>(
  source: AsyncIterable<R[]>,
  framing: LookupFraming<R>,
): AsyncGenerator<string> {
  let pending = SAF_BEGIN;
  let skipped = 0;
  let sent = 0;
  let last: R | undefined;
  let more = false;
  try {
    for await (const chunk of source) {
      for (const record of chunk) {
        if (skipped < framing.offset) {
          skipped++;
          continue;
        }
        if (sent === framing.limit) {
          more = true;
          break;
        }
        pending += safObjLine(record, framing.humantime);
        sent++;
        last = record;
      }
      if (more) break;
      if (pending.length >= CHUNK_CHARS) {
        yield pending;
        pending = "";
      }
    }
  } catch (error) {
    yield pending + safFailed(framing.failure(error));
    return;
  }
  yield pending + (more && last ? safLimited(framing.cursorOf(last)) : SAF_SUCCEEDED);
}
