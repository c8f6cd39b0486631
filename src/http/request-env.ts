/**
 * What a request carries between middleware and handlers: who is asking under which limits (set by
 * access control), and what the handler reports for the audit log (the query value and result count).
 */
import type { Context, MiddlewareHandler } from "hono";
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
    /** Headers every answer to this request carries (request id, rate limits), as a plain object. */
    responseHeaders: Record<string, string>;
  };
};

const JSON_TYPE = { "content-type": "application/json" };

/**
 * On every answer (app.ts puts them among each request's common headers): no content-type sniffing
 * (an answer is never run as a script or page), and no Referer sent from anything an answer links to.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** Responses made by answer(): they carry the common headers already. */
const answers = new WeakSet<Response>();

/** Whether `response` was made by answer() / answerJson() (so it carries the request's common headers). */
export function isAnswer(response: Response): boolean {
  return answers.has(response);
}

/**
 * Connections whose request in progress the server's request deadline (`--request-timeout`, checked by
 * Node's HTTP server, see server.ts) does not cut. A sensor's ingest, once past access control, streams
 * for as long as it keeps sending: --ingest-max-bytes bounds its size and --idle-timeout cuts it when
 * it stalls.
 */
export const requestDeadlineExempt = new WeakSet<object>();

/** Middleware: lifts the request deadline for the rest of this request (see requestDeadlineExempt). */
export const liftRequestDeadline: MiddlewareHandler<RequestEnv> = async (c, next) => {
  // The socket of @hono/node-server's bindings; absent when the app is called without a server.
  const socket = (c.env as { incoming?: { socket?: object | null } } | undefined)?.incoming?.socket;
  if (!socket) return next();
  requestDeadlineExempt.add(socket);
  try {
    await next();
  } finally {
    requestDeadlineExempt.delete(socket);
  }
};

/** Adds headers that every answer to this request carries, whichever route or error makes it. */
export function addResponseHeaders(c: Context<RequestEnv>, headers: Record<string, string>): void {
  c.set("responseHeaders", { ...c.get("responseHeaders"), ...headers });
}

/**
 * The answer to a request: the body with the request's common headers and its own. Routes answer
 * through this (not c.json / c.header): plain header objects let @hono/node-server write the response
 * without building a Headers object, which costs a tenth of a small query's time.
 */
export function answer(
  c: Context<RequestEnv>,
  body: string | ReadableStream<Uint8Array> | null,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  const response = new Response(body, {
    status,
    headers: { ...(c.get("responseHeaders") ?? SECURITY_HEADERS), ...headers },
  });
  answers.add(response);
  return response;
}

/** A JSON answer (see answer). */
export function answerJson(
  c: Context<RequestEnv>,
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return answer(c, JSON.stringify(value), status, { ...JSON_TYPE, ...headers });
}

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
