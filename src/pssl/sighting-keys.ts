/**
 * Byte layouts of passive SSL sighting keys and members (see SIGHTING_KEY_BYTES): addresses as 17 bytes
 * (4 or 6, then the address left-aligned in 16 bytes), ports as u16, certificates as their 20-byte SHA-1
 * (all zeros when a session showed none).
 */
import { ipFromBytes, parseIp } from "../dns/ip.js";

export const ADDRESS_BYTES = 17;
export const NO_CERTIFICATE = Buffer.alloc(20);

export function addressKey(ipText: string): Buffer {
  const ip = parseIp(ipText);
  if (!ip) throw new Error(`not an address: ${ipText}`);
  const key = Buffer.alloc(ADDRESS_BYTES);
  key[0] = ip.version;
  key.set(ip.bytes, 1);
  return key;
}

export function addressOfKey(key: Buffer, at = 0): string {
  return ipFromBytes(key.subarray(at + 1, at + 1 + (key[at] === 4 ? 4 : 16)));
}

export function portBytes(port: number): Buffer {
  const bytes = Buffer.allocUnsafe(2);
  bytes.writeUInt16BE(port, 0);
  return bytes;
}

/** ip-certs key: certificate SHA-1 + port. */
export function certificatePortKey(sha1: Buffer, port: number): Buffer {
  return Buffer.concat([sha1, portBytes(port)]);
}

/** fingerprints / sni key: address key + port + certificate SHA-1. */
export function endpointKey(address: Buffer, port: number, sha1: Buffer): Buffer {
  return Buffer.concat([address, portBytes(port), sha1]);
}

export function decodeEndpointKey(key: Buffer): { ip: string; port: number; sha1: string | undefined } {
  const sha1 = key.subarray(ADDRESS_BYTES + 2, ADDRESS_BYTES + 22);
  return {
    ip: addressOfKey(key),
    port: key.readUInt16BE(ADDRESS_BYTES),
    sha1: sha1.equals(NO_CERTIFICATE) ? undefined : sha1.toString("hex"),
  };
}
