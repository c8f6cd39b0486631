/** DNSDB's time fences as query parameters: epoch seconds, or a negative number of seconds before now. */
import type { TimeFences } from "./lookup-types.js";

/** The four parameters and the fence each sets. */
export const TIME_FENCE_PARAMETERS = {
  time_first_before: "firstBefore",
  time_first_after: "firstAfter",
  time_last_before: "lastBefore",
  time_last_after: "lastAfter",
} as const satisfies Record<string, keyof TimeFences>;

/** A fence as given (epoch seconds, or negative seconds before now) as absolute epoch seconds. */
export function resolveFence(value: number | undefined, nowSeconds: number): number | undefined {
  if (value === undefined) return undefined;
  return value < 0 ? nowSeconds + value : value;
}

/** A fence value that is not an integer: the caller's error. */
export class TimeFenceError extends Error {}

/** Reads the fences present in `parameters`, resolving relative ones against `nowSeconds`. */
export function timeFencesOf(
  parameters: Record<string, string | undefined>,
  nowSeconds = Math.floor(Date.now() / 1000),
): TimeFences {
  const fences: TimeFences = {};
  for (const [parameter, fence] of Object.entries(TIME_FENCE_PARAMETERS)) {
    const text = parameters[parameter];
    if (text === undefined) continue;
    if (!/^-?[0-9]{1,12}$/.test(text.trim())) {
      throw new TimeFenceError(`${parameter} must be epoch seconds, or negative seconds before now`);
    }
    fences[fence] = resolveFence(Number(text.trim()), nowSeconds);
  }
  return fences;
}
