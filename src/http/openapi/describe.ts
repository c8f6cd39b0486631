/**
 * The vocabulary route descriptors are written in (operations.ts), and its conversion to OpenAPI 3.1
 * objects. Schemas are zod schemas, converted with zod's own `z.toJSONSchema` (JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1): request parts as the routes read them (`io: "input"`), answers as written.
 */
import { z } from "zod";

export type Method = "get" | "post" | "put" | "patch" | "delete";
type AnyObject = z.ZodObject<z.ZodRawShape>;
export type JsonObject = { [key: string]: unknown };

/** Parameters of one location, from an object schema: one parameter per field, each described. */
export interface ParameterSet {
  in: "path" | "query" | "header";
  schema: AnyObject;
  descriptions: Record<string, string>;
  examples: Record<string, unknown>;
  /** When set, the parameters go to components.parameters as `<component>.<name>`, used by reference. */
  component?: string;
}

/**
 * A parameter set; `descriptions` must name every field of the schema (the compiler checks it), so a
 * field added to a route's schema cannot go undescribed.
 */
export function parameters<S extends AnyObject>(
  location: ParameterSet["in"],
  schema: S,
  descriptions: { [K in keyof S["shape"] & string]: string },
  examples: { [K in keyof S["shape"] & string]?: unknown } = {},
  component?: string,
): ParameterSet {
  return { in: location, schema, descriptions, examples, ...(component === undefined ? {} : { component }) };
}

/** A named schema of components.schemas, referenced wherever it is used. */
export interface NamedSchema {
  name: string;
  schema: z.ZodType;
  /** Request parts are described as read (before transforms and defaults), answers as written. */
  io: "input" | "output";
}

export interface MediaContent {
  schema: z.ZodType | NamedSchema | JsonObject;
  /** Examples by name: a summary and the value (for NDJSON, the whole body as text). */
  examples?: Record<string, { summary: string; value: unknown }>;
}

export interface ResponseSpec {
  description: string;
  /** Names of components.headers carried besides X-Request-Id. */
  headers?: string[];
  content?: Record<string, MediaContent>;
}

export interface OperationSpec {
  method: Method;
  /** The OpenAPI path template (`/pdns/query/{value}`). */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  tag: string;
  parameters?: ParameterSet[];
  requestBody?: { description: string; required: boolean; content: Record<string, MediaContent> };
  /** By status; a string names a response of components.responses. */
  responses: Record<string, ResponseSpec | string>;
}

/** The io of each schema registered as a component (by its name). */
const componentIo = new Map<string, "input" | "output">();

/**
 * Makes `schema` a component: wherever it appears inside another schema, zod's conversion refers to it
 * (an `id` in zod's global metadata registry, beside the schema's description) instead of inlining it.
 */
export function registerComponent(named: NamedSchema): void {
  const meta = z.globalRegistry.get(named.schema);
  if (meta?.id === named.name) return;
  if (meta?.id !== undefined) throw new Error(`schema ${named.name} is already component ${meta.id}`);
  z.globalRegistry.add(named.schema, { ...meta, id: named.name });
  componentIo.set(named.name, named.io);
}

const DEFS = "#/$defs/";

/** Rewrites zod's `#/$defs/<name>` references to `#/components/schemas/<name>`. */
function componentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(componentRefs);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === "$ref" && typeof item === "string" && item.startsWith(DEFS)
        ? `#/components/schemas/${item.slice(DEFS.length)}`
        : componentRefs(item),
    ]),
  );
}

/**
 * A zod schema as a JSON Schema object (2020-12, the dialect of OpenAPI 3.1), without `$schema`, and
 * with registered components as references. `inline`: the definition of a registered schema itself,
 * rather than a reference to it.
 */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output", inline = false): JsonObject {
  const {
    $schema: _dialect,
    $defs = {},
    ...rest
  } = z.toJSONSchema(schema, { io, target: "draft-2020-12" }) as JsonObject & {
    $defs?: Record<string, JsonObject>;
  };
  for (const name of Object.keys($defs)) {
    if (componentIo.get(name) !== io) throw new Error(`component ${name} is not registered for ${io}`);
  }
  const id = z.globalRegistry.get(schema)?.id;
  const root = inline && id !== undefined ? $defs[id] : rest;
  if (root === undefined) throw new Error(`no definition for component ${id}`);
  return componentRefs(root) as JsonObject;
}

/** The OpenAPI parameter objects of a set. */
export function parameterObjects(set: ParameterSet): JsonObject[] {
  const object = jsonSchemaOf(set.schema, "input");
  const properties = (object.properties ?? {}) as Record<string, JsonObject>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description: fieldDescription, ...schema } = property;
    const description = set.descriptions[name] ?? fieldDescription;
    if (description === undefined) throw new Error(`parameter ${name} has no description`);
    return {
      name,
      in: set.in,
      required: set.in === "path" || required.has(name),
      description,
      schema,
      ...(set.examples[name] === undefined ? {} : { example: set.examples[name] }),
    };
  });
}

export const isNamed = (value: unknown): value is NamedSchema =>
  typeof value === "object" && value !== null && "name" in value && "io" in value && "schema" in value;
