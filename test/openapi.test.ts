/**
 * The OpenAPI document: the committed openapi/openapi.json is what the code generates (CI fails
 * otherwise), it is valid OpenAPI 3.1, it describes every route the app serves and nothing else, its
 * security follows the access policies, and its examples fit its schemas.
 */
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type AppDependencies, createApp } from "../src/http/app.js";
import { isNamed, type MediaContent } from "../src/http/openapi/describe.js";
import { openApiDocument, openApiText, policyOf } from "../src/http/openapi/openapi-document.js";
import { operations, SHARED_RESPONSES } from "../src/http/openapi/operations.js";
import { VERSION } from "../src/version.js";

const FILE = new URL("../openapi/openapi.json", import.meta.url);
const PACKAGE_VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

type Document = {
  paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>>;
  info: { version: string };
};
const document = openApiDocument(VERSION) as unknown as Document;

/** The app's routes (method and Hono path), handlers only: `app.use` middleware and catch-alls are ALL. */
function appRoutes(): Array<{ method: string; path: string }> {
  // Route factories only keep their dependencies: none is called until a request comes.
  const app = createApp({ config: {}, version: VERSION } as unknown as AppDependencies);
  const routes = app.routes.filter((route) => route.method !== "ALL");
  const seen = new Set<string>();
  return routes
    .map((route) => ({ method: route.method.toLowerCase(), path: route.path }))
    .filter((route) => {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** A Hono path as the OpenAPI paths it stands for: `:format{a|b}` expanded, `:name` as `{...}`. */
function honoMatcher(path: string): RegExp[] {
  const alternatives = path.match(/:[a-z]+\{([^}]+)\}/i);
  if (alternatives?.[1]) {
    return alternatives[1].split("|").flatMap((choice) => honoMatcher(path.replace(alternatives[0], choice)));
  }
  const pattern = path
    .split("/")
    .map((segment) => {
      if (segment === "*") return ".+";
      if (segment.startsWith(":")) return "\\{[^/}]+\\}";
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return [new RegExp(`^${pattern}$`)];
}

const documented = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => ({ method, path })),
  );

function examplesOf(content: Record<string, MediaContent> | undefined) {
  return Object.entries(content ?? {}).flatMap(([mediaType, media]) =>
    Object.entries(media.examples ?? {}).map(([name, example]) => ({ mediaType, media, name, example })),
  );
}

describe("OpenAPI document", () => {
  it("is the committed openapi/openapi.json (run npm run openapi after changing routes)", () => {
    const committed = readFileSync(FILE, "utf8");
    const generated = openApiText(VERSION);
    if (committed !== generated) {
      expect.fail(
        "openapi/openapi.json differs from what the code generates: run npm run openapi and commit it",
      );
    }
    expect(document.info.version).toBe(PACKAGE_VERSION);
  });

  it("is valid OpenAPI 3.1, and every $ref resolves", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const pointer = ref.slice(8, -1);
      expect(pointer.startsWith("#/"), pointer).toBe(true);
      let node: unknown = document;
      for (const part of pointer.slice(2).split("/")) node = (node as Record<string, unknown>)?.[part];
      expect(node, `${pointer} resolves`).toBeDefined();
    }
  });

  it("describes every route the app serves, and no other", () => {
    const routes = appRoutes();
    expect(routes.length).toBeGreaterThan(40);
    const operations = documented();
    for (const route of routes) {
      const matchers = honoMatcher(route.path);
      for (const matcher of matchers) {
        const found = operations.some((op) => op.method === route.method && matcher.test(op.path));
        expect(found, `${route.method.toUpperCase()} ${route.path} (${matcher}) is in the document`).toBe(
          true,
        );
      }
    }
    for (const op of operations) {
      const served = routes.some(
        (route) =>
          route.method === op.method && honoMatcher(route.path).some((matcher) => matcher.test(op.path)),
      );
      expect(served, `${op.method.toUpperCase()} ${op.path} is served`).toBe(true);
    }
  });

  it("takes each route's security from the access policies", () => {
    const credentials = ["basicAuth", "apiKeyHeader", "bareToken", "bearerJwt"];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        const access = policyOf(path);
        if (!access) {
          expect(operation.security, where).toEqual([]);
          continue;
        }
        const schemes = operation.security.flatMap((requirement) => Object.keys(requirement as object));
        expect(schemes, where).toEqual(credentials);
        for (const status of ["401", "403", "429"]) expect(operation.responses[status], where).toBeDefined();
      }
    }
    // Spot checks against the app's table.
    expect(document.paths["/dnsdb/v2/ping"]?.get?.security).toEqual([]);
    expect(document.paths["/auth/jwks.json"]?.get?.security).toEqual([]);
    expect(document.paths["/docs"]?.get?.security).toEqual([]);
    expect(document.paths["/pdns/query/{value}"]?.get?.security).toHaveLength(4);
    expect(document.paths["/admin/users"]?.post?.security).toHaveLength(4);
    // Ops routes: an admin's credential, or none with --ops-public.
    expect(document.paths["/metrics"]?.get?.security).toContainEqual({});
  });

  it("uses the routes' own zod schemas for what they validate", async () => {
    const { newUserSchema } = await import("../src/http/routes/admin.js");
    const { paramsSchema } = await import("../src/dnsdb/params.js");
    const { itemSchema } = await import("../src/http/routes/pdns-bulk.js");
    const components = (openApiDocument(VERSION) as { components: { schemas: Record<string, unknown> } })
      .components.schemas;
    // An empty metadata registry: the schemas as zod converts them alone (they hold no descriptions).
    const alone = (schema: z.ZodType) => {
      const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", metadata: z.registry() });
      return rest;
    };
    expect(components.NewUser).toEqual(alone(newUserSchema));
    expect(components.BulkItem).toEqual(alone(itemSchema));
    const lookup = document.paths["/dnsdb/v2/lookup/rrset/name/{name}"]?.get as unknown as {
      parameters: Array<{ $ref?: string; name?: string }>;
    };
    const queryNames = lookup.parameters
      .map((parameter) => parameter.$ref?.replace("#/components/parameters/dnsdb.", ""))
      .filter((name) => name !== undefined);
    expect(queryNames.sort()).toEqual(
      Object.keys(paramsSchema.shape)
        .filter((name) => name !== "max_count")
        .sort(),
    );
  });

  it("has examples that fit their schemas", () => {
    const responses = [
      ...operations().flatMap((op) => [
        ...Object.values(op.responses).filter((response) => typeof response !== "string"),
        ...(op.requestBody ? [{ content: op.requestBody.content }] : []),
      ]),
      ...Object.values(SHARED_RESPONSES),
    ];
    let checked = 0;
    for (const response of responses) {
      for (const { mediaType, media, name, example } of examplesOf(response.content)) {
        const schema = isNamed(media.schema) ? media.schema.schema : media.schema;
        if (!(schema instanceof z.ZodType)) continue;
        const values =
          mediaType === "application/x-ndjson" &&
          typeof example.value === "string" &&
          !(schema instanceof z.ZodString)
            ? example.value
                .split("\n")
                .filter((line) => line !== "")
                .map((line) => JSON.parse(line))
            : [example.value];
        for (const value of values) {
          const parsed = schema.safeParse(value);
          expect(parsed.success, `${name} (${mediaType}): ${JSON.stringify(value)}`).toBe(true);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
