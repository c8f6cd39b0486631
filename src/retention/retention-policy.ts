/**
 * How long records and TLS sightings are kept: a global maximum age and per-rrtype ages that override
 * it (null: kept forever), measured from time_last — what was seen recently stays, however old it is.
 */
import type { ExpiryBucket } from "../store/expiry-layout.js";

export interface RetentionPolicy {
  /** Seconds, or null for no global limit. */
  maxAgeSeconds: number | null;
  /** Per rrtype: seconds, or null for "kept forever" whatever the global limit. */
  rrtypeAges: Readonly<Record<number, number | null>>;
}

/** True when something can ever expire under the policy. */
export function retentionEnabled(policy: RetentionPolicy): boolean {
  return policy.maxAgeSeconds !== null || Object.values(policy.rrtypeAges).some((age) => age !== null);
}

/** The maximum age of what a bucket holds (null: kept forever). */
export function maxAgeOf(policy: RetentionPolicy, bucket: ExpiryBucket): number | null {
  if (bucket.kind === "record" && bucket.rrtype in policy.rrtypeAges) {
    return policy.rrtypeAges[bucket.rrtype] ?? null;
  }
  return policy.maxAgeSeconds;
}
