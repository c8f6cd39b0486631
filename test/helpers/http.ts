/** What strict NDJSON clients (dnsdbq, PyPDNS) demand of a body: JSON per line, `\n`-ended, no blanks. */
export function parseNdjsonStrict(body: string): Record<string, unknown>[] {
  if (body === "") return [];
  if (!body.endsWith("\n")) throw new Error("body does not end with \\n");
  return body
    .slice(0, -1)
    .split("\n")
    .map((line, i) => {
      if (line.trim() === "") throw new Error(`blank line ${i + 1}`);
      return JSON.parse(line) as Record<string, unknown>;
    });
}

/** PyPDNS's record checks: integer times and count, rrtype a mnemonic or integer, rdata string or list. */
export function assertCofRecord(record: Record<string, unknown>): void {
  for (const field of ["time_first", "time_last", "count"]) {
    if (!Number.isInteger(record[field]))
      throw new Error(`${field} is not an integer: ${JSON.stringify(record)}`);
  }
  const rrtype = record.rrtype;
  if (!(typeof rrtype === "string" && /^[A-Z0-9-]+$/.test(rrtype)) && !Number.isInteger(rrtype)) {
    throw new Error(`bad rrtype ${JSON.stringify(rrtype)}`);
  }
  if (typeof record.rrname !== "string") throw new Error("rrname is not a string");
  if (typeof record.rdata !== "string" && !Array.isArray(record.rdata)) throw new Error("bad rdata");
}

export function basic(user: string, token: string): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;
}
