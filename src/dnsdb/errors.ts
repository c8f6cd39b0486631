/**
 * The one error a DNSDB v2 request can fail with before its answer starts: an HTTP status and a
 * one-line message for the client (dnsdbq prints the first line of an error body).
 */

/** The statuses a DNSDB request is refused with by this API's own checks. */
export type DnsdbErrorStatus = 400 | 404 | 415 | 416;

/** A DNSDB request refused before its answer started: its status and a one-line message. */
export class DnsdbError extends Error {
  readonly status: DnsdbErrorStatus;

  constructor(status: DnsdbErrorStatus, message: string) {
    super(message);
    this.status = status;
  }
}

/** A 400 with `message`. */
export const badDnsdbRequest = (message: string) => new DnsdbError(400, message);
