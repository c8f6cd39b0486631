/**
 * DNSDB v2 query parameters, validated with zod: `limit` (default 10000; `0` = the caller's maximum;
 * larger values are capped at it), `offset` (lookup only; above the server's maximum → 416), the four
 * time fences (epoch seconds, or negative = that many seconds before now), `aggr` (accepted and
 * ignored: every record here is already aggregated over time, so there is no "gravel" to return),
 * `humantime`, `max_count` (summarize only), `swclient`, `version` and `id` (informational, accepted),
 * and `cursor` (this server's own: resume right after the record a previous answer's cursor names).
 * Anything else, a parameter given twice, or a bad value is a 400.
 */
import { z } from "zod";
import type { TimeFences } from "../pdns/lookup-types.js";
import { resolveFence } from "../pdns/time-fences.js";
import { badDnsdbRequest, DnsdbError } from "./errors.js";

/** What `limit` is when not given. */
export const DEFAULT_LIMIT = 10_000;

const count = (what: string) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/, `must be ${what}`)
    .transform(Number);
const fence = z
  .string()
  .regex(/^-?[0-9]{1,12}$/, "must be epoch seconds, or a negative number of seconds before now")
  .transform(Number);
const flag = z
  .string()
  .regex(/^(t|f|true|false)$/i, "must be t, f, true or false")
  .transform((value) => value.toLowerCase().startsWith("t"));
const text = z.string().max(200, "must be at most 200 characters");

/** The parameters (also the OpenAPI document's description of them). */
export const paramsSchema = z.strictObject({
  limit: count("a non-negative integer").optional(),
  offset: count("a non-negative integer").optional(),
  time_first_before: fence.optional(),
  time_first_after: fence.optional(),
  time_last_before: fence.optional(),
  time_last_after: fence.optional(),
  aggr: flag.optional(),
  humantime: flag.optional(),
  max_count: count("a positive integer")
    .refine((n) => n > 0, "must be a positive integer")
    .optional(),
  swclient: text.optional(),
  version: text.optional(),
  id: text.optional(),
  cursor: z.string().min(1, "must not be empty").max(1000, "is too long").optional(),
});

const KNOWN = Object.keys(paramsSchema.shape);

/** The limits parameters are checked against, and the time relative fences count back from. */
export interface ParamContext {
  verb: "lookup" | "summarize";
  /** Now, in epoch seconds. */
  now: number;
  /** The most results the caller may get in one answer (what `limit=0` means). */
  callerMax: number;
  /** The largest `offset` accepted. */
  offsetMax: number;
}

/** How to answer, from the parameters. */
export interface AnswerOptions {
  /** Results at most (1 or more). */
  limit: number;
  /** Results of the stable order skipped first. */
  offset: number;
  humantime: boolean;
  /** Summarize: stop once the summed count reaches this. */
  maxCount: number | undefined;
  cursor: string | undefined;
  fences: TimeFences;
}

/** Validates and resolves a request's parameters; throws a DnsdbError (400 or 416). */
export function parseParams(params: URLSearchParams, context: ParamContext): AnswerOptions {
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    if (!KNOWN.includes(key)) {
      throw badDnsdbRequest(`unknown parameter ${JSON.stringify(key)} (known: ${KNOWN.join(", ")})`);
    }
    if (Object.hasOwn(raw, key)) throw badDnsdbRequest(`parameter ${key} is given more than once`);
    raw[key] = value;
  }
  const parsed = paramsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badDnsdbRequest(`parameter ${issue?.path.join(".") ?? "?"} ${issue?.message ?? "is invalid"}`);
  }
  const p = parsed.data;
  if (context.verb === "summarize" && p.offset !== undefined && p.offset > 0) {
    throw badDnsdbRequest("offset applies to lookup only");
  }
  if (context.verb === "lookup" && p.max_count !== undefined) {
    throw badDnsdbRequest("max_count applies to summarize only");
  }
  const offset = p.offset ?? 0;
  if (offset > context.offsetMax) {
    throw new DnsdbError(416, `offset ${offset} is above the maximum of ${context.offsetMax}`);
  }
  const requested = p.limit ?? DEFAULT_LIMIT;
  const limit = requested === 0 ? context.callerMax : Math.min(requested, context.callerMax);
  return {
    limit: Math.max(1, limit),
    offset,
    humantime: p.humantime ?? false,
    maxCount: p.max_count,
    cursor: p.cursor,
    fences: {
      firstBefore: resolveFence(p.time_first_before, context.now),
      firstAfter: resolveFence(p.time_first_after, context.now),
      lastBefore: resolveFence(p.time_last_before, context.now),
      lastAfter: resolveFence(p.time_last_after, context.now),
    },
  };
}
