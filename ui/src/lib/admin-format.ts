/**
 * Words and figures for the admin pages: times (local, with how long ago), byte counts, limits, and the
 * audit filter's times between the `datetime-local` inputs and the API's RFC 3339 bounds. Pure (no DOM).
 */

const pad = (n: number) => String(n).padStart(2, "0");

/** A time in the browser's zone, to the second: `2025-05-01 14:03:07`; "—" when there is none. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return iso;
  return (
    `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())} ` +
    `${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`
  );
}

const STEPS: Array<[number, string]> = [
  [60, "s"],
  [60, "min"],
  [24, "h"],
  [365, "d"],
  [Number.POSITIVE_INFINITY, "y"],
];

/** How far a time is from now, roughly: `3 min ago`, `in 29 d`, `just now`. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "";
  const past = ms <= now;
  let amount = Math.abs(now - ms) / 1000;
  if (amount < 10) return "just now";
  for (const [size, unit] of STEPS) {
    if (amount < size) {
      const text = `${Math.floor(amount)} ${unit}`;
      return past ? `${text} ago` : `in ${text}`;
    }
    amount /= size;
  }
  return "";
}

/** Whether a time is past. */
export function isPast(iso: string | null | undefined, now = Date.now()): boolean {
  return !!iso && Date.parse(iso) <= now;
}

const numbers = new Intl.NumberFormat("en-US");

/** An integer with thousands separators. */
export function count(n: number): string {
  return numbers.format(n);
}

/** A byte count in B, KB, MB, GB (powers of 1,000). */
export function byteSize(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n;
  let unit = "B";
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** Seconds as a short duration: `90 s`, `15 min`, `2 h`, `1 d`. */
export function seconds(n: number): string {
  if (n % 86_400 === 0) return `${n / 86_400} d`;
  if (n % 3600 === 0) return `${n / 3600} h`;
  if (n % 60 === 0) return `${n / 60} min`;
  return `${n} s`;
}

/** The limits a user is under, as the admin API shows them (null: unlimited). */
export interface Limits {
  daily: number | null;
  burst_size: number | null;
  burst_window: number;
  results_max: number | null;
}

/** Limits in one line: `1,000/day · 10 per 1 min · ≤ 5,000 results`, or `unlimited`. */
export function limitsSummary(limits: Limits): string {
  const parts: string[] = [];
  if (limits.daily !== null) parts.push(`${count(limits.daily)}/day`);
  if (limits.burst_size !== null)
    parts.push(`${count(limits.burst_size)} per ${seconds(limits.burst_window)}`);
  if (limits.results_max !== null) parts.push(`≤ ${count(limits.results_max)} results`);
  return parts.length === 0 ? "unlimited" : parts.join(" · ");
}

/**
 * A `datetime-local` value (`2025-05-01T14:03`, the browser's zone) as an RFC 3339 time in UTC for the
 * API; undefined when empty or not a time.
 */
export function localInputToIso(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return undefined;
  // Without an offset, a date-time string is read as local time.
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? undefined : when.toISOString();
}

/**
 * An API time bound (RFC 3339, or epoch seconds) as a `datetime-local` value; "" for what an input
 * cannot show (negative seconds before now, or nothing).
 */
export function isoToLocalInput(value: string | null | undefined): string {
  if (!value) return "";
  let ms: number;
  if (/^[0-9]{1,12}$/.test(value)) ms = Number(value) * 1000;
  else if (/^\d{4}-\d{2}-\d{2}/.test(value)) ms = Date.parse(value);
  else return "";
  if (Number.isNaN(ms)) return "";
  const when = new Date(ms);
  return (
    `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}` +
    `T${pad(when.getHours())}:${pad(when.getMinutes())}`
  );
}

/** Token lifetimes offered when creating one: the API's `expires_in` (seconds), none for never. */
export const TOKEN_LIFETIMES: Array<{ label: string; seconds: number | undefined }> = [
  { label: "30 days", seconds: 30 * 86_400 },
  { label: "90 days", seconds: 90 * 86_400 },
  { label: "1 year", seconds: 365 * 86_400 },
  { label: "Never", seconds: undefined },
];
