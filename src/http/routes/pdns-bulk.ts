/**
 * `POST /pdns/bulk`: many passive DNS queries in one request. The body is a JSON array or NDJSON; each
 * item is a value (`"www.example.com"`, `"*.example.com"`, `"192.0.2.0/24"`, ...) or an object
 * `{"value", "rrtype"?, "time_first_before"?, "time_first_after"?, "time_last_before"?,
 * "time_last_after"?, "limit"?}`. The answer streams NDJSON, value by value in the order given: each
 * record as a COF object with a `"query"` field naming its value, then one summary line for that value,
 * `{"query", "summary": {"records", "limited", "cursor"?, "error"?}}`. A bad value gets an `error` in its
 * summary and does not stop the others. Each value counts as one query against the caller's quotas.
 */
import { Hono } from "hono";
import { z } from "zod";
import { type EffectiveQuota, type RateLimiter, rateLimitHeaders } from "../../auth/quota.js";
import { cofLine } from "../../pdns/cof.js";
import { parseLookupValue } from "../../pdns/lookup-value.js";
import type { DecodedRecord } from "../../pdns/record-query.js";
import { firstOf } from "../../pdns/record-query.js";
import { TimeFenceError, timeFencesOf } from "../../pdns/time-fences.js";
import type { Store } from "../../store/types.js";
import { ApiError, badRequest } from "../errors.js";
import { bodyText, describeIssues } from "../json-body.js";
import { chunkedBody, NDJSON } from "../ndjson-response.js";
import { checkBlockWidth, rrtypeFilterOf, sourceOf } from "../pdns-query.js";
import {
  addResponseHeaders,
  answer,
  noteQueryValue,
  type RequestEnv,
  resultsMax,
  streamOutcomeReporter,
} from "../request-env.js";

export interface BulkRouteOptions {
  store: Store;
  origin: string | undefined;
  limiter: RateLimiter;
  /** Most values one request may hold. */
  maxValues: number;
  /** Records per value when the item does not say (and the user's result limit allows). */
  defaultLimit: number;
  maxCidr: { 4: number; 6: number };
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Values read at once: their records are fetched concurrently, then written out in order. */
const VALUES_IN_FLIGHT = 8;

const fence = z.union([z.number().int(), z.string().regex(/^-?[0-9]{1,12}$/)]).transform(String);
/** One value of the body (also the OpenAPI document's description of it). */
export const itemSchema = z.union([
  z.string().min(1).max(1024),
  z.strictObject({
    value: z.string().min(1).max(1024),
    rrtype: z.string().max(32).optional(),
    time_first_before: fence.optional(),
    time_first_after: fence.optional(),
    time_last_before: fence.optional(),
    time_last_after: fence.optional(),
    limit: z.number().int().positive().max(100_000).optional(),
  }),
]);
type BulkItem = z.infer<typeof itemSchema>;

/** The items of a body: a JSON array, or one JSON value per line. */
function itemsOf(text: string, maxValues: number): BulkItem[] {
  const trimmed = text.trim();
  if (trimmed === "") throw badRequest("the body holds no values: send a JSON array or NDJSON");
  let raw: unknown[];
  if (trimmed.startsWith("[")) {
    try {
      raw = JSON.parse(trimmed) as unknown[];
    } catch {
      throw badRequest("the body starts like a JSON array but is not one");
    }
  } else {
    raw = trimmed.split("\n").map((line, i) => {
      try {
        return JSON.parse(line);
      } catch {
        throw badRequest(`line ${i + 1} is not JSON (each line holds one value: "name" or {"value": ...})`);
      }
    });
  }
  if (!Array.isArray(raw)) throw badRequest("send a JSON array or NDJSON");
  if (raw.length > maxValues) throw badRequest(`at most ${maxValues} values per request, got ${raw.length}`);
  return raw.map((item, i) => {
    const parsed = itemSchema.safeParse(item);
    if (!parsed.success) throw badRequest(`value ${i + 1}: ${describeIssues(parsed.error)}`);
    return parsed.data;
  });
}

interface ValueAnswer {
  value: string;
  records: DecodedRecord[];
  limited: boolean;
  cursor?: string;
  error?: string;
}

export function pdnsBulkRoutes(options: BulkRouteOptions) {
  const app = new Hono<RequestEnv>();

  app.post("/bulk", async (c) => {
    const text = await bodyText(c, MAX_BODY_BYTES);
    const items = itemsOf(text, options.maxValues);
    noteQueryValue(c, `${items.length} values`);
    const principal = c.get("principal");
    // Every value is a query: all are counted at once, or none (a refused request costs nothing).
    const status = await options.limiter.take(principal.user, c.get("quota") as EffectiveQuota, items.length);
    if (!status.allowed) {
      throw new ApiError(429, "quota_exceeded", `not enough quota left for ${items.length} values`, {
        ...rateLimitHeaders(status),
        "Retry-After": String(status.retryAfter ?? 1),
      });
    }
    addResponseHeaders(c, rateLimitHeaders(status));
    const cap = resultsMax(c);
    const admin = principal.role === "admin";

    async function run(item: BulkItem): Promise<ValueAnswer> {
      const spec = typeof item === "string" ? { value: item } : item;
      const value = spec.value;
      try {
        const parsed = parseLookupValue(value);
        if (!parsed) throw badRequest("not a domain name, an IP address, a wildcard or a block");
        checkBlockWidth(parsed, admin, options.maxCidr);
        const rrtypes = rrtypeFilterOf(undefined, "rrtype" in spec ? spec.rrtype : undefined);
        const fences = timeFencesOf(
          typeof item === "string"
            ? {}
            : {
                time_first_before: item.time_first_before,
                time_first_after: item.time_first_after,
                time_last_before: item.time_last_before,
                time_last_after: item.time_last_after,
              },
        );
        const limit = Math.min(
          "limit" in spec && spec.limit ? spec.limit : options.defaultLimit,
          cap ?? Infinity,
        );
        const source = sourceOf(options.store, parsed, rrtypes, fences);
        const page = await firstOf(source.records(undefined), limit);
        const last = page.records[page.records.length - 1];
        return {
          value,
          records: page.records,
          limited: page.more,
          ...(page.more && last ? { cursor: source.cursorAfter(last) } : {}),
        };
      } catch (error) {
        if (error instanceof ApiError || error instanceof TimeFenceError) {
          return { value, records: [], limited: false, error: error.message };
        }
        throw error;
      }
    }

    async function* lines(): AsyncGenerator<string> {
      for (let at = 0; at < items.length; at += VALUES_IN_FLIGHT) {
        const answers = await Promise.all(items.slice(at, at + VALUES_IN_FLIGHT).map(run));
        for (const result of answers) {
          const tag = `{"query":${JSON.stringify(result.value)},`;
          let chunk = "";
          for (const record of result.records) chunk += tag + cofLine(record, options.origin).slice(1);
          const summary = {
            records: result.records.length,
            limited: result.limited,
            ...(result.cursor === undefined ? {} : { cursor: result.cursor }),
            ...(result.error === undefined ? {} : { error: result.error }),
          };
          chunk += `${JSON.stringify({ query: result.value, summary })}\n`;
          yield chunk;
        }
      }
    }

    return answer(c, await chunkedBody(lines(), streamOutcomeReporter(c)), 200, { "content-type": NDJSON });
  });

  return app;
}
