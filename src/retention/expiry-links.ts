/**
 * What goes with an expired record or sighting, for the stores' sweeps: a record's reverse-index entry
 * (its address or target name, from its rdata), and the certificate → address member of an ip-certs
 * sighting. Certificates themselves are kept: where and when they were seen is what expires.
 */
import { indexRefOf } from "../pdns/observation-batch.js";
import { decodeRdata, payloadOf, rrtypeOfSortKey } from "../pdns/record-codec.js";
import { addressKey, NO_CERTIFICATE, portBytes } from "../pssl/sighting-keys.js";
import type { ExpiryLinks } from "../store/types.js";

export const EXPIRY_LINKS: ExpiryLinks = {
  recordIndex(_rrname, sortKey, value) {
    const rrtype = rrtypeOfSortKey(sortKey);
    return indexRefOf(rrtype, decodeRdata(rrtype, payloadOf(value)));
  },
  sightingMember(space, group, key) {
    if (space !== "ip-certs") return undefined;
    const sha1 = key.subarray(0, 20);
    if (sha1.equals(NO_CERTIFICATE)) return undefined;
    return {
      space: "cert-ips",
      group: sha1.toString("hex"),
      member: Buffer.concat([addressKey(group), portBytes(key.readUInt16BE(20))]),
    };
  },
};
