import { expect } from "vitest";
import type { ParsedTlsLine, TlsRejectReason, TlsSession } from "../../src/ingest/tls-session.js";

/** The session a line parsed to; fails the test with the result when it is anything else. */
export function sessionOf(result: ParsedTlsLine): TlsSession {
  if (result.kind !== "session") throw new Error(`expected a session, got ${JSON.stringify(result)}`);
  return result.session;
}

/** Asserts a reject with `reason` and a short, non-empty detail. */
export function expectReject(result: ParsedTlsLine, reason: TlsRejectReason): void {
  expect(result.kind).toBe("reject");
  if (result.kind === "reject") {
    expect(result.reason).toBe(reason);
    expect(result.detail.length).toBeGreaterThan(0);
    expect(result.detail.length).toBeLessThanOrEqual(120);
  }
}
