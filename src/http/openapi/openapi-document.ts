/**
 * The OpenAPI 3.1 document of the HTTP API, built from the route descriptors (operations.ts) and the
 * app's access policies (ROUTE_POLICIES, OPS_POLICIES): who may call a route, and so its security and
 * its 401/403/429 answers, comes from the same table access control enforces. `npm run openapi` writes
 * it to openapi/openapi.json; GET /openapi.json serves it.
 */
import type { RoutePolicy } from "../access.js";
import { OPS_POLICIES, ROUTE_POLICIES } from "../app.js";
import {
  isNamed,
  type JsonObject,
  jsonSchemaOf,
  type MediaContent,
  type OperationSpec,
  type ParameterSet,
  parameterObjects,
  type ResponseSpec,
  registerComponent,
} from "./describe.js";
import { operations, SCHEMAS, SHARED_RESPONSES, TAGS } from "./operations.js";

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const header = (description: string, schema: JsonObject, example?: unknown): JsonObject => ({
  description,
  schema,
  ...(example === undefined ? {} : { example }),
});

const HEADERS: Record<string, JsonObject> = {
  "X-Request-Id": header("This request's id, as in the logs and the audit log.", { type: "string" }),
  "WWW-Authenticate": header("The challenge of a 401.", { type: "string" }, 'Basic realm="pdns-pssl"'),
  "Retry-After": header("Seconds to wait before asking again.", { type: "integer" }, 30),
  "X-RateLimit-Limit": header(
    "The limit closest to refusing (daily quota or burst), for a user with a limit; absent otherwise.",
    { type: "integer" },
    1000,
  ),
  "X-RateLimit-Remaining": header("Queries left under that limit.", { type: "integer" }, 998),
  "X-RateLimit-Reset": header("When that limit renews, in epoch seconds.", { type: "integer" }, 1795708800),
  "x-dribble-cursor": header(
    "Present when more records remain: send it back as dribble-paginate-cursor. A positive decimal " +
      "integer, possibly above 2^53 (keep it as a string). Absent on the last page.",
    { type: "string", pattern: "^[0-9]+$" },
    "9086520134704181022117985013410502",
  ),
  "Cache-Control": header("Caching of the answer.", { type: "string" }),
  ETag: header("The file's version, for If-None-Match.", { type: "string" }),
};
const RATE_LIMIT_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];

const errorResponse = (
  description: string,
  headers: string[],
  examples: Record<string, unknown>,
): JsonObject => ({
  description,
  headers: headersOf(headers),
  content: {
    "application/json": {
      schema: ERROR_REF,
      examples: Object.fromEntries(
        Object.entries(examples).map(([name, value]) => [
          name,
          { summary: name.replaceAll("_", " "), value },
        ]),
      ),
    },
  },
});

const requestId = "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
const RESPONSES: Record<string, JsonObject> = {
  Unauthorized: errorResponse(
    "No credential, or one that is invalid, expired or revoked.",
    ["WWW-Authenticate"],
    {
      no_credential: { code: "unauthorized", message: "credentials required", requestId },
      bad_credential: { code: "unauthorized", message: "invalid, expired or revoked credentials", requestId },
    },
  ),
  Forbidden: errorResponse("A valid credential of a role that may not use this route.", [], {
    wrong_role: { code: "forbidden", message: "role sensor may not use this route", requestId },
  }),
  TooManyRequests: errorResponse(
    "Over the user's quota or burst limit, or too many failed authentications from this address.",
    ["Retry-After", ...RATE_LIMIT_HEADERS],
    {
      quota_exceeded: {
        code: "quota_exceeded",
        message: "daily query quota exhausted; it renews at 00:00 UTC",
        requestId,
      },
      too_many_failures: {
        code: "too_many_failures",
        message: "too many failed authentications from 192.0.2.7; retry later",
        requestId,
      },
    },
  ),
  StoreUnavailable: errorResponse(
    "The store (Redis, Kvrocks) cannot be reached right now; the server reconnects by itself.",
    [],
    {
      store_unavailable: {
        code: "store_unavailable",
        message: "the store cannot be reached; try again shortly",
        requestId,
      },
    },
  ),
};

const SECURITY_SCHEMES: Record<string, JsonObject> = {
  basicAuth: {
    type: "http",
    scheme: "basic",
    description: "`user:token` (`curl -u alice:$TOKEN`, PyPDNS, PyPSSL, MISP).",
  },
  apiKeyHeader: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "The API token alone, as dnsdbq sends it (`DNSDB_API_KEY`).",
  },
  bareToken: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`Authorization: <token>` with no scheme, as PyPDNS and PyPSSL send it in token mode.",
  },
  bearerJwt: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A JWT from POST /auth/token (EdDSA), or from the trusted identity provider (--idp-issuer). " +
      "While the provider's keys cannot be fetched, a bearer request is 503.",
  },
};
const CREDENTIALS = Object.keys(SECURITY_SCHEMES).map((name) => ({ [name]: [] }));

const INFO_DESCRIPTION =
  "Passive DNS and passive SSL: CIRCL's, the D4 server's and DNSDB's query APIs, sensor ingest, and " +
  "the administration of users, tokens and quotas.\n\n" +
  "**Credentials.** HTTP Basic `user:token`, `X-API-Key: <token>`, a bare `Authorization: <token>`, or " +
  "`Authorization: Bearer <JWT>`. Missing or bad credentials get 401 with `WWW-Authenticate: Basic`; a " +
  "valid credential of a role that may not use the route gets 403; a query over the user's quota gets 429 " +
  "with `Retry-After`. Each operation names the roles it admits (`x-roles`; admin always may).\n\n" +
  "**Errors** are JSON `{code, message, requestId}` (the `Error` schema), except where CIRCL's and " +
  "DNSDB's clients expect plain text (passive SSL 400s, DNSDB errors before an answer starts). An " +
  "unexpected failure is 500 with no detail.\n\n" +
  "**NDJSON answers** (`application/x-ndjson`) are one JSON value per `\\n`-ended line; the schema given " +
  "for them is that of one line, and the examples are whole bodies.";

/** The policy of an OpenAPI path, matched as app.use matches ROUTE_POLICIES' patterns. */
export function policyOf(path: string): { policy: RoutePolicy; ops: boolean } | undefined {
  const matches = (pattern: string) =>
    pattern.endsWith("/*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
  for (const [pattern, policy] of ROUTE_POLICIES) if (matches(pattern)) return { policy, ops: false };
  for (const [pattern, policy] of OPS_POLICIES) if (matches(pattern)) return { policy, ops: true };
  return undefined;
}

function headersOf(names: readonly string[]): JsonObject {
  const all = ["X-Request-Id", ...names.filter((name) => name !== "X-Request-Id")];
  return Object.fromEntries(
    all.map((name) => {
      if (!HEADERS[name]) throw new Error(`no header ${name} in components.headers`);
      return [name, { $ref: `#/components/headers/${name}` }];
    }),
  );
}

type ZodSchema = Parameters<typeof jsonSchemaOf>[0];

function schemaObject(schema: MediaContent["schema"], io: "input" | "output"): JsonObject {
  if (isNamed(schema)) return { $ref: `#/components/schemas/${schema.name}` };
  if ("_zod" in schema) return jsonSchemaOf(schema as ZodSchema, io);
  return schema as JsonObject;
}

function contentObject(content: Record<string, MediaContent>, io: "input" | "output"): JsonObject {
  return Object.fromEntries(
    Object.entries(content).map(([mediaType, media]) => [
      mediaType,
      { schema: schemaObject(media.schema, io), ...(media.examples ? { examples: media.examples } : {}) },
    ]),
  );
}

/** Parameter objects, or references to components.parameters (added to `shared`) for a shared set. */
function parameterList(sets: readonly ParameterSet[], shared: Record<string, JsonObject>): JsonObject[] {
  return sets.flatMap((set) =>
    parameterObjects(set).map((parameter) => {
      if (set.component === undefined) return parameter;
      const key = `${set.component}.${parameter.name as string}`;
      const existing = shared[key];
      if (existing && JSON.stringify(existing) !== JSON.stringify(parameter)) {
        throw new Error(`components.parameters ${key} is described two ways`);
      }
      shared[key] = parameter;
      return { $ref: `#/components/parameters/${key}` };
    }),
  );
}

function responseObject(response: ResponseSpec, metered: boolean, status: string): JsonObject {
  const success = status.startsWith("2");
  const headers = [...(response.headers ?? []), ...(metered && success ? RATE_LIMIT_HEADERS : [])];
  return {
    description: response.description,
    headers: headersOf(headers),
    ...(response.content ? { content: contentObject(response.content, "output") } : {}),
  };
}

function operationObject(spec: OperationSpec, sharedParameters: Record<string, JsonObject>): JsonObject {
  const access = policyOf(spec.path);
  const metered = access?.policy.metered ?? false;
  const responses: Record<string, JsonObject> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] =
      typeof response === "string"
        ? { $ref: `#/components/responses/${response}` }
        : responseObject(response, metered, status);
  }
  let description = spec.description;
  let security: JsonObject[] = [];
  let roles: string[] | undefined;
  if (access) {
    roles = ["admin", ...access.policy.roles.filter((role) => role !== "admin")];
    security = access.ops ? [...CREDENTIALS, {}] : CREDENTIALS;
    responses[401] = { $ref: "#/components/responses/Unauthorized" };
    responses[403] = { $ref: "#/components/responses/Forbidden" };
    responses[429] = { $ref: "#/components/responses/TooManyRequests" };
    responses[503] ??= { $ref: "#/components/responses/StoreUnavailable" };
    const notes = [
      `**Roles:** ${roles.join(", ")}.`,
      metered ? "Counted against the daily quota and the burst limit." : "",
      access.policy.audited ? "Audited." : "",
    ].filter((note) => note !== "");
    description = `${description}\n\n${notes.join(" ")}`;
  } else {
    description = `${description}\n\n**Public:** no credential needed.`;
  }
  const sortedResponses = Object.fromEntries(
    Object.entries(responses).sort(([a], [b]) => a.localeCompare(b, "en")),
  );
  return {
    tags: [spec.tag],
    summary: spec.summary,
    description,
    operationId: spec.operationId,
    ...(spec.parameters ? { parameters: parameterList(spec.parameters, sharedParameters) } : {}),
    ...(spec.requestBody
      ? {
          requestBody: {
            description: spec.requestBody.description,
            required: spec.requestBody.required,
            content: contentObject(spec.requestBody.content, "input"),
          },
        }
      : {}),
    responses: sortedResponses,
    security,
    ...(roles ? { "x-roles": roles } : {}),
  };
}

/** The document, for a server of this version. */
export function openApiDocument(version: string): JsonObject {
  for (const named of Object.values(SCHEMAS)) registerComponent(named);
  const paths: Record<string, Record<string, JsonObject>> = {};
  const sharedParameters: Record<string, JsonObject> = {};
  const ids = new Set<string>();
  for (const spec of operations()) {
    if (ids.has(spec.operationId)) throw new Error(`operationId ${spec.operationId} is used twice`);
    ids.add(spec.operationId);
    const item = paths[spec.path] ?? {};
    if (item[spec.method]) throw new Error(`${spec.method} ${spec.path} is described twice`);
    item[spec.method] = operationObject(spec, sharedParameters);
    paths[spec.path] = item;
  }
  return {
    // No jsonSchemaDialect: the default (OpenAPI 3.1's base dialect) is JSON Schema 2020-12, what zod
    // writes, and Swagger UI refuses any other value.
    openapi: "3.1.0",
    info: {
      title: "pdns-pssl",
      version,
      summary: "Passive DNS and passive SSL server",
      description: INFO_DESCRIPTION,
      license: { name: "AGPL-3.0-or-later", identifier: "AGPL-3.0-or-later" },
    },
    tags: TAGS,
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.values(SCHEMAS).map((named) => [named.name, jsonSchemaOf(named.schema, named.io, true)]),
      ),
      responses: {
        ...RESPONSES,
        ...Object.fromEntries(
          Object.entries(SHARED_RESPONSES).map(([name, response]) => [
            name,
            responseObject(response, false, ""),
          ]),
        ),
      },
      parameters: sharedParameters,
      headers: HEADERS,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

/** The document as the file and GET /openapi.json hold it: 2-space JSON with a final newline. */
export function openApiText(version: string): string {
  return `${JSON.stringify(openApiDocument(version), null, 2)}\n`;
}
