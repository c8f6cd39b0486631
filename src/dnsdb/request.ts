/**
 * A DNSDB v2 lookup or summarize request (the path after the verb and the query parameters) turned
 * into a Lookup for the engine (src/pdns/lookup.ts) and the options of its answer.
 */
import type { Lookup } from "../pdns/lookup-types.js";
import type { IpBlockLimit } from "./ip-block.js";
import { type AnswerOptions, type ParamContext, parseParams } from "./params.js";
import { parseLookupPath } from "./path.js";

/** A parsed request: what to look up, how to answer, and the value asked about (for the audit). */
export interface DnsdbRequest {
  verb: "lookup" | "summarize";
  lookup: Lookup;
  options: AnswerOptions;
  value: string;
}

/** What a request is checked against besides its own text. */
export interface RequestContext extends ParamContext {
  /** The widest address block the caller may query (null: unlimited). */
  ipLimit: IpBlockLimit | null;
}

/**
 * Parses the path segments after the verb and the query parameters. Throws a DnsdbError: 404 for an
 * unknown path shape, 400 for a bad value or parameter, 416 for an offset above the maximum.
 */
export function parseDnsdbRequest(
  segments: readonly string[],
  params: URLSearchParams,
  context: RequestContext,
): DnsdbRequest {
  const path = parseLookupPath(segments, context.ipLimit);
  const options = parseParams(params, context);
  return {
    verb: context.verb,
    lookup: { target: path.target, rrtypes: path.rrtypes, fences: options.fences, cursor: options.cursor },
    options,
    value: path.value,
  };
}
