/**
 * DNS RR TYPE mnemonics and numbers: the IANA "Resource Record (RR) TYPEs" registry, including
 * meta and query types and the obsolete ones still seen in old captures.
 */
const RRTYPES: ReadonlyArray<readonly [string, number]> = [
  ["A", 1],
  ["NS", 2],
  ["MD", 3],
  ["MF", 4],
  ["CNAME", 5],
  ["SOA", 6],
  ["MB", 7],
  ["MG", 8],
  ["MR", 9],
  ["NULL", 10],
  ["WKS", 11],
  ["PTR", 12],
  ["HINFO", 13],
  ["MINFO", 14],
  ["MX", 15],
  ["TXT", 16],
  ["RP", 17],
  ["AFSDB", 18],
  ["X25", 19],
  ["ISDN", 20],
  ["RT", 21],
  ["NSAP", 22],
  ["NSAP-PTR", 23],
  ["SIG", 24],
  ["KEY", 25],
  ["PX", 26],
  ["GPOS", 27],
  ["AAAA", 28],
  ["LOC", 29],
  ["NXT", 30],
  ["EID", 31],
  ["NIMLOC", 32],
  ["SRV", 33],
  ["ATMA", 34],
  ["NAPTR", 35],
  ["KX", 36],
  ["CERT", 37],
  ["A6", 38],
  ["DNAME", 39],
  ["SINK", 40],
  ["OPT", 41],
  ["APL", 42],
  ["DS", 43],
  ["SSHFP", 44],
  ["IPSECKEY", 45],
  ["RRSIG", 46],
  ["NSEC", 47],
  ["DNSKEY", 48],
  ["DHCID", 49],
  ["NSEC3", 50],
  ["NSEC3PARAM", 51],
  ["TLSA", 52],
  ["SMIMEA", 53],
  ["HIP", 55],
  ["NINFO", 56],
  ["RKEY", 57],
  ["TALINK", 58],
  ["CDS", 59],
  ["CDNSKEY", 60],
  ["OPENPGPKEY", 61],
  ["CSYNC", 62],
  ["ZONEMD", 63],
  ["SVCB", 64],
  ["HTTPS", 65],
  ["DSYNC", 66],
  ["HHIT", 67],
  ["BRID", 68],
  ["UNECE", 69],
  ["SPF", 99],
  ["UINFO", 100],
  ["UID", 101],
  ["GID", 102],
  ["UNSPEC", 103],
  ["NID", 104],
  ["L32", 105],
  ["L64", 106],
  ["LP", 107],
  ["EUI48", 108],
  ["EUI64", 109],
  ["NXNAME", 128],
  ["TKEY", 249],
  ["TSIG", 250],
  ["IXFR", 251],
  ["AXFR", 252],
  ["MAILB", 253],
  ["MAILA", 254],
  ["ANY", 255],
  ["URI", 256],
  ["CAA", 257],
  ["AVC", 258],
  ["DOA", 259],
  ["AMTRELAY", 260],
  ["RESINFO", 261],
  ["WALLET", 262],
  ["CLA", 263],
  ["IPN", 264],
  ["TA", 32768],
  ["DLV", 32769],
];

const BY_NAME = new Map<string, number>(RRTYPES);
// IANA lists 255 as "*"; zone files and tools write ANY.
BY_NAME.set("*", 255);
const BY_NUMBER = new Map<number, string>(RRTYPES.map(([name, n]) => [n, name]));

/** Parses up to 5 decimal digits in `s` from `start`; -1 unless the rest is a number 0..65535. */
function parseUint16(s: string, start: number): number {
  const len = s.length - start;
  if (len < 1 || len > 5) return -1;
  let value = 0;
  for (let i = start; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value <= 0xffff ? value : -1;
}

/**
 * RR type number from text: a mnemonic (any case), the RFC 3597 form `TYPE123`, or a plain decimal
 * 0..65535 (passivedns prints types it has no name for as numbers). Undefined when unknown.
 */
export function rrtypeFromText(s: string): number | undefined {
  const exact = BY_NAME.get(s);
  if (exact !== undefined) return exact;
  const upper = s.toUpperCase();
  const named = BY_NAME.get(upper);
  if (named !== undefined) return named;
  const n = parseUint16(upper, upper.startsWith("TYPE") ? 4 : 0);
  return n >= 0 ? n : undefined;
}

/** The IANA mnemonic of an RR type number, or undefined when the number has none. */
export function rrtypeMnemonic(n: number): string | undefined {
  return BY_NUMBER.get(n);
}

/** RR type as COF prints it: the mnemonic, or the bare number when there is no mnemonic. */
export function rrtypeToCof(n: number): string | number {
  return BY_NUMBER.get(n) ?? n;
}
