/**
 * What a request carries between middleware and handlers: who is asking under which limits (set by
 * access control), and what the handler reports for the audit log (the query value and result count).
 */
import type { Context } from "hono";
import type { Principal } from "../auth/accounts.js";
import type { EffectiveQuota } from "../auth/quota.js";

/** How a streamed answer ended: lines sent, and whether the client left before the end. */
export interface StreamOutcome {
  lines: number;
  aborted: boolean;
}

export type RequestEnv = {
  Variables: {
    requestId: string;
    principal: Principal;
    quota: EffectiveQuota;
    auditValue?: string;
    auditResults?: number;
    auditStream?: Promise<StreamOutcome>;
  };
};

/** Records the value a request asked about (a name, an address, a fingerprint, a user). */
export function noteQueryValue(c: Context<RequestEnv>, value: string): void {
  c.set("auditValue", value);
}

/** Records how many results a non-streamed answer holds. */
export function noteResults(c: Context<RequestEnv>, count: number): void {
  c.set("auditResults", count);
}

/** A callback for chunkedResponse that reports a streamed answer's outcome to the audit log. */
export function streamOutcomeReporter(c: Context<RequestEnv>): (outcome: StreamOutcome) => void {
  let report: (outcome: StreamOutcome) => void = () => {};
  c.set("auditStream", new Promise<StreamOutcome>((resolve) => (report = resolve)));
  return (outcome) => report(outcome);
}

/** The most records one answer may hold for this request's user (undefined: no limit). */
export function resultsMax(c: Context<RequestEnv>): number | undefined {
  return c.get("quota")?.resultsMax ?? undefined;
}
