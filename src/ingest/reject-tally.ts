/** Counting rejected input lines per reason, keeping the first few line numbers for the summary. */

export interface RejectTally<R extends string> {
  /** Lines read so far: the number of the line being rejected. */
  lines: number;
  rejected: Partial<Record<R, number>>;
  firstRejects: Array<{ line: number; reason: string; detail: string }>;
}

const FIRST_REJECTS_KEPT = 10;

export function countReject<R extends string>(
  tally: RejectTally<R>,
  reason: R,
  detail: string,
  count = 1,
): void {
  tally.rejected[reason] = ((tally.rejected[reason] as number | undefined) ?? 0) + count;
  if (tally.firstRejects.length < FIRST_REJECTS_KEPT) {
    tally.firstRejects.push({ line: tally.lines, reason, detail });
  }
}
