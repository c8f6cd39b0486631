/**
 * The soak's HTTP exchanges: one request on a keep-alive agent, timed from its start to the answer's
 * last byte, the body read whole (answers are small) or, for ingest, sent as a stream.
 */
import { Agent, request } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

export interface Answer {
  status: number;
  body: string;
  ms: number;
}

const TIMEOUT_MS = 120_000;

/** A keep-alive agent of one connection: a client of the soak, as a tool such as dnsdbq holds one. */
export function clientAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

/**
 * Sends one request; resolves with the status and the text of the answer (any status), rejects on a
 * network error (ECONNRESET, ECONNREFUSED...) or after two minutes.
 */
export function exchange(
  agent: Agent,
  url: string,
  options: { method?: "GET" | "POST" | "DELETE"; headers: Record<string, string>; body?: string | Readable },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const { body } = options;
    const headers = { ...options.headers };
    if (typeof body === "string") headers["content-length"] = String(Buffer.byteLength(body));
    const req = request(url, { agent, method: options.method ?? "GET", headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        resolve({ status: response.statusCode ?? 0, body: text, ms });
      });
      response.on("error", reject);
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(Object.assign(new Error("timed out"), { code: "TIMEOUT" })));
    req.on("error", reject);
    if (body === undefined || typeof body === "string") req.end(body);
    // A failed upload also fails the request, which rejects above.
    else pipeline(body, req).catch(() => undefined);
  });
}

/** A short name for what went wrong: the HTTP status, or the network error's code. */
export function failureKind(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : "network";
}

/** Throws unless the answer is 2xx; the message carries the start of the body. */
export function expectOk(answer: Answer, what: string): Answer {
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`${what}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
  }
  return answer;
}
