/** Durations as people write them: `3600`, `90s`, `15m`, `12h`, `30d`, `2w`. */

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION_PATTERN = /^([0-9]{1,9})([smhdw]?)$/;

/** Seconds in a duration (a number of seconds, or digits and a unit), or undefined if it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || "s"] ?? 1);
  return seconds > 0 ? seconds : undefined;
}
