/** Reads a request's JSON body against a zod schema; anything else is one clear 400. */
import type { Context } from "hono";
import type { z } from "zod";
import { ApiError, badRequest } from "./errors.js";

/** Largest admin request body accepted. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The body parsed as JSON and validated. The Content-Type is not insisted on: `curl -d '{...}'` sends
 * `application/x-www-form-urlencoded`, and a JSON body is what every admin route takes. An empty body
 * counts as `{}` (every field optional routes then work with `-X POST` alone).
 */
export async function jsonBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const text = await bodyText(c, MAX_BODY_BYTES);
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest("the body is not JSON");
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(describeIssues(result.error));
  return result.data;
}

/**
 * The body's chunks, read with a byte limit: 413 (closing the connection, as the rest of the body is
 * still on its way) as soon as Content-Length or the bytes read pass it — nothing beyond it is gathered.
 */
export async function* limitedBody(c: Context, maxBytes: number): AsyncGenerator<Buffer> {
  const tooLarge = () =>
    new ApiError(413, "too_large", `the body may be at most ${maxBytes} bytes`, { connection: "close" });
  if (Number(c.req.header("content-length") ?? 0) > maxBytes) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return;
  let bytes = 0;
  try {
    for await (const chunk of body) {
      bytes += chunk.byteLength;
      if (bytes > maxBytes) throw tooLarge();
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // The client went away (or a timeout cut it off) mid-body: its doing, not an internal error.
    throw new ApiError(400, "incomplete_body", "the request body ended before it was complete", {
      connection: "close",
    });
  }
}

/** The whole body as UTF-8 text, read with a byte limit (limitedBody). */
export async function bodyText(c: Context, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitedBody(c, maxBytes)) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** One line naming each problem and where it is: `role: expected one of admin|analyst|sensor`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}
