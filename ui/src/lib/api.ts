/**
 * The API as the pages call it: same origin, the session's JWT as `Authorization: Bearer`, errors as
 * ApiFailure with the server's message. A 401 ends the session (the JWT expired or its token was revoked):
 * the app shows the sign-in form again.
 */
import { currentSession, endSession } from "./session.js";

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Listeners told when the server stops accepting the session. */
const signedOutListeners: Array<(reason: string) => void> = [];
export function onSignedOut(listener: (reason: string) => void): void {
  signedOutListeners.push(listener);
}

async function failureOf(response: Response): Promise<ApiFailure> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { code?: string; message?: string; error?: string };
    return new ApiFailure(
      response.status,
      body.code ?? String(response.status),
      body.message ?? body.error ?? text,
    );
  } catch {
    // CIRCL's passive SSL routes answer plain-text errors.
    return new ApiFailure(response.status, String(response.status), text.trim() || response.statusText);
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A request to the API; resolves with the response when it is 2xx, else throws ApiFailure. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const session = currentSession();
  const headers: Record<string, string> = { ...options.headers };
  if (session) headers.authorization = `Bearer ${session.jwt}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? "GET",
      headers,
      body,
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiFailure(0, "network", "The server cannot be reached: check the connection and try again.");
  }
  if (response.ok) return response;
  const failure = await failureOf(response);
  if (response.status === 401) {
    endSession();
    for (const listener of signedOutListeners) listener(failure.message);
  }
  throw failure;
}

export async function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return (await (await request(path, options)).json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T | undefined> {
  const response = await request(path, { method, body: body ?? {} });
  if (response.status === 204) return undefined;
  return (await response.json()) as T;
}

/** A path segment for a value (names, addresses, blocks with their "/", wildcards): escapes what must be. */
export function segment(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, "/").replace(/%2A/gi, "*").replace(/%3A/gi, ":");
}

/** Parses NDJSON text strictly: every non-empty line a JSON value. */
export function parseNdjson<T>(text: string): T[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as T);
}
