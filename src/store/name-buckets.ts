/**
 * How the Redis store spreads its name and address indexes over keys (and so over cluster nodes):
 * - names under a domain: one sorted set per "bucket", the last two labels of the name (`example.com`
 *   for `a.b.example.com`), holding reversed names, so a subtree is one lexicographic range of one key;
 *   plus, per top-level label, the set of its buckets (for `*.com`);
 * - names starting with labels: one sorted set per first label, holding the names;
 * - addresses: one sorted set per IPv4 /16 or IPv6 /32, holding the raw address bytes.
 */
import { splitLabels } from "../dns/name.js";

/** The bucket of a reversed name (`com.example.www` → `com.example`). */
export function underBucketOf(reversed: string): string {
  const labels = splitLabels(reversed);
  return labels.length <= 2 ? reversed : `${labels[0]}.${labels[1]}`;
}

/** The top-level label of a reversed name. */
export function topLabelOf(reversed: string): string {
  return splitLabels(reversed)[0] as string;
}

/** The number of labels of a name. */
export function labelCount(name: string): number {
  return splitLabels(name).length;
}

/** The prefix bucket of a name: its first label. */
export function prefixBucketOf(name: string): string {
  return splitLabels(name)[0] as string;
}

/** Bytes of an address that name its bucket: 2 for IPv4 (/16), 4 for IPv6 (/32). */
export function addressBucketBytes(width: number): number {
  return width === 4 ? 2 : 4;
}

/** The bucket of an address, as key text: `4:c000` (192.0/16) or `6:20010db8`. */
export function addressBucketOf(address: Uint8Array): string {
  const bytes = addressBucketBytes(address.length);
  return `${address.length === 4 ? 4 : 6}:${Buffer.from(address.subarray(0, bytes)).toString("hex")}`;
}

/** Most buckets one address range may span (an IPv4 /0 spans 65,536). */
export const MAX_ADDRESS_BUCKETS = 65_536;

/**
 * The buckets an address range spans, in order, each with the part of the range inside it. Throws
 * RangeError when the range spans more than MAX_ADDRESS_BUCKETS.
 */
export function* bucketsOfRange(
  first: Uint8Array,
  last: Uint8Array,
): Generator<{ bucket: string; low: Uint8Array; high: Uint8Array }> {
  const width = first.length;
  const bytes = addressBucketBytes(width);
  const from = Buffer.from(first.subarray(0, bytes)).readUIntBE(0, bytes);
  const to = Buffer.from(last.subarray(0, bytes)).readUIntBE(0, bytes);
  if (to - from + 1 > MAX_ADDRESS_BUCKETS) throw new RangeError("address range too wide");
  for (let n = from; n <= to; n++) {
    const head = Buffer.alloc(bytes);
    head.writeUIntBE(n, 0, bytes);
    const low =
      n === from
        ? Uint8Array.from(first)
        : Uint8Array.from(Buffer.concat([head, Buffer.alloc(width - bytes)]));
    const high =
      n === to
        ? Uint8Array.from(last)
        : Uint8Array.from(Buffer.concat([head, Buffer.alloc(width - bytes, 0xff)]));
    yield { bucket: addressBucketOf(low), low, high };
  }
}
