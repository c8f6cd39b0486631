/** DNS RCODEs (IANA "DNS RCODEs" registry) as names and numbers. */
const RCODES: ReadonlyArray<readonly [string, number]> = [
  ["NOERROR", 0],
  ["FORMERR", 1],
  ["SERVFAIL", 2],
  ["NXDOMAIN", 3],
  ["NOTIMP", 4],
  ["REFUSED", 5],
  ["YXDOMAIN", 6],
  ["YXRRSET", 7],
  ["NXRRSET", 8],
  ["NOTAUTH", 9],
  ["NOTZONE", 10],
  ["DSOTYPENI", 11],
  ["BADVERS", 16],
  ["BADSIG", 16],
  ["BADKEY", 17],
  ["BADTIME", 18],
  ["BADMODE", 19],
  ["BADNAME", 20],
  ["BADALG", 21],
  ["BADTRUNC", 22],
  ["BADCOOKIE", 23],
];

const BY_NAME = new Map<string, number>(RCODES);
// passivedns spells rcode 4 the way ldns does.
BY_NAME.set("NOTIMPL", 4);
const BY_NUMBER = new Map<number, string>();
for (const [name, n] of RCODES) if (!BY_NUMBER.has(n)) BY_NUMBER.set(n, name);

// passivedns prints rcodes it has no name for as "UNKNOWN-ERROR-<n>".
const UNKNOWN_PREFIX = "UNKNOWN-ERROR-";
const MAX_RCODE = 4095;

/**
 * The rcode a passivedns error line carries in place of its answer: an exact uppercase rcode name
 * (or the sensor's `UNKNOWN-ERROR-<n>`), else undefined.
 */
export function rcodeFromAnswer(answer: string): number | undefined {
  // Most answers are addresses or lowercase names: skip the lookup for them.
  const first = answer.charCodeAt(0);
  if (!(first >= 65 && first <= 90) || answer.length > 24) return undefined;
  const known = BY_NAME.get(answer);
  if (known !== undefined || !answer.startsWith(UNKNOWN_PREFIX)) return known;
  const digits = answer.length - UNKNOWN_PREFIX.length;
  if (digits < 1 || digits > 4) return undefined;
  let value = 0;
  for (let i = UNKNOWN_PREFIX.length; i < answer.length; i++) {
    const d = answer.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    value = value * 10 + d;
  }
  return value <= MAX_RCODE ? value : undefined;
}

/** The name of an rcode (`NXDOMAIN`), or `RCODE<n>` when it has none. */
export function rcodeName(n: number): string {
  return BY_NUMBER.get(n) ?? `RCODE${n}`;
}
