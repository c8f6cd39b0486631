/**
 * How values read on the pages: times in UTC as ISO 8601 without the `T` (every sensor's clock is UTC,
 * and analysts compare times across time zones), counts with thousands separators, date filters as whole
 * UTC days. Pure (no DOM), so the unit tests run it in Node.
 */

/** Epoch seconds as `2026-11-26 04:12:38` (UTC); an empty string for a missing time. */
export function isoTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined || !Number.isFinite(epochSeconds)) return "";
  return new Date(epochSeconds * 1000).toISOString().slice(0, 19).replace("T", " ");
}

/** Epoch seconds as the UTC day `2026-11-26`. */
export function isoDay(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

/** A count with thousands separators (`12,345`), the same in every locale. */
export function formatCount(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `n thing` / `n things`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * A `YYYY-MM-DD` day (as a date input gives it) as epoch seconds: its first second, or with `end` the
 * first second of the next day, so that "before" and "after" both include the day chosen. Undefined
 * for anything else.
 */
export function dayToEpoch(day: string, end = false): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms)) return undefined;
  return ms / 1000 + (end ? 86_400 : 0);
}

/** A certificate time as cfetch gives it (`2027-12-28T04:14:39+00:00`) as epoch seconds. */
export function certTimeToEpoch(text: string | null | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** A duration in the largest unit that fits: `3 days`, `2 years`. */
export function duration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 120) return plural(Math.round(s), "second");
  if (s < 7_200) return plural(Math.round(s / 60), "minute");
  if (s < 172_800) return plural(Math.round(s / 3_600), "hour");
  if (s < 5_184_000) return plural(Math.round(s / 86_400), "day");
  if (s < 63_072_000) return plural(Math.round(s / 2_629_800), "month");
  return plural(Math.round(s / 31_557_600), "year");
}

/**
 * A subject or issuer as CIRCL's API prints it (OpenSSL's compat form: non-ASCII bytes as `\xC3\xBC`)
 * in readable text (`Zürich`). Runs of escapes that are not valid UTF-8 are left as they were.
 */
export function decodeOpenSslEscapes(text: string): string {
  return text.replace(/(?:\\x[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 4);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 4 + 2, i * 4 + 4), 16);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return run;
    }
  });
}

/** The CN of a subject (`C=LU, O=Example, CN=www.example.lu` → `www.example.lu`), decoded; or undefined. */
export function commonName(subject: string | null | undefined): string | undefined {
  if (!subject) return undefined;
  const match = /(?:^|[,/]\s*)CN=([^,/]*)/.exec(subject);
  return match?.[1] ? decodeOpenSslEscapes(match[1].trim()) : undefined;
}

/** A hex digest as colon-separated uppercase pairs (`99:44:A6:...`), as certificate viewers show it. */
export function colonHex(hex: string): string {
  return (hex.toUpperCase().match(/.{1,2}/g) ?? []).join(":");
}
