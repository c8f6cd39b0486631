/** Time bounds as admins type them, for audit reads from the API and the CLI. */

/** A bound that does not parse: the caller's error. */
export class TimeBoundError extends Error {}

/**
 * A time bound: epoch seconds, an RFC 3339 time, or a negative number of seconds before now (as
 * DNSDB's time fences). Undefined when absent.
 */
export function parseTimeBound(text: string | undefined, name: string, now = Date.now()): number | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const value = text.trim();
  if (/^-?[0-9]{1,12}$/.test(value)) {
    const seconds = Number(value);
    return seconds < 0 ? now + seconds * 1000 : seconds * 1000;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new TimeBoundError(
      `${name} must be epoch seconds, an RFC 3339 time or negative seconds before now`,
    );
  }
  return ms;
}
