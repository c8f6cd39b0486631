/**
 * The timeline's time axis: round ticks (whole minutes, days, months, years in UTC) for any span from
 * seconds to decades, each labelled as precisely as its step needs. Pure (no DOM).
 */

export interface Tick {
  /** Epoch seconds. */
  time: number;
  label: string;
}

const MINUTE = 60;
const HOUR = 3_600;
const DAY = 86_400;

/** Fixed steps in seconds, then calendar steps in months. */
const SECOND_STEPS = [
  1,
  2,
  5,
  10,
  15,
  30,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
];
const MONTH_STEPS = [1, 2, 3, 6, 12, 24, 60, 120];

function label(time: number, step: number, months: boolean): string {
  const iso = new Date(time * 1000).toISOString();
  if (months) return step >= 12 ? iso.slice(0, 4) : iso.slice(0, 7);
  if (step >= DAY) return iso.slice(0, 10);
  if (step >= MINUTE) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 19);
}

/**
 * Ticks between `start` and `end` (epoch seconds), about `wanted` of them (at least 2 when the span
 * allows), on round UTC boundaries.
 */
export function timeTicks(start: number, end: number, wanted: number): Tick[] {
  const span = Math.max(1, end - start);
  const ideal = span / Math.max(1, wanted);
  const fixed = SECOND_STEPS.find((step) => step >= ideal);
  if (fixed !== undefined) {
    // Days and weeks start at midnight UTC (epoch 0 was a midnight), so plain multiples are round.
    const first = Math.ceil(start / fixed) * fixed;
    const ticks: Tick[] = [];
    for (let time = first; time <= end; time += fixed) ticks.push({ time, label: label(time, fixed, false) });
    return ticks;
  }
  const idealMonths = ideal / (30.44 * DAY);
  const months = MONTH_STEPS.find((step) => step >= idealMonths) ?? Math.ceil(idealMonths / 120) * 120;
  const from = new Date(start * 1000);
  let year = from.getUTCFullYear();
  let month = Math.ceil(from.getUTCMonth() / months) * months;
  // Start at the first boundary at or after `start`.
  if (Date.UTC(year, month, 1) / 1000 < start) month += months;
  if (months >= 12) {
    year = Math.ceil(year / (months / 12)) * (months / 12);
    month = 0;
    if (Date.UTC(year, 0, 1) / 1000 < start) year += months / 12;
  }
  const ticks: Tick[] = [];
  for (let i = 0; i < 1000; i++) {
    const time = Date.UTC(year, month + i * months, 1) / 1000;
    if (time > end) break;
    ticks.push({ time, label: label(time, months, true) });
  }
  return ticks;
}
