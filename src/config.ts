/**
 * The configuration: one zod schema over command-line flags, environment variables and a JSON config
 * file (flags win over the environment, which wins over the file). A bad value stops start-up with one
 * line naming the flag, the variable or the file.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseDuration } from "./auth/duration.js";
import { rrtypeFromText } from "./dns/rrtype.js";

const PORT = z.coerce.number().int().min(0).max(65535);

/** `host:port`, `[v6]:port`, `:port` or `port`. */
const listenSchema = z.string().transform((text, ctx) => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]:|([^:[\]]*):)?([0-9]{1,5})$/.exec(text.trim());
  const port = match ? PORT.safeParse(match[3]) : undefined;
  if (!match || !port?.success) {
    ctx.addIssue({ code: "custom", message: "expected host:port, [ipv6]:port or port" });
    return z.NEVER;
  }
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port: port.data };
});

const storeSchema = z
  .string()
  .trim()
  .refine(
    (s) =>
      s === "embedded" ||
      /^rediss?:\/\/[^\s]+$/.test(s) ||
      /^rediss?\+cluster:\/\/(\S*@)?[^\s@/,]+(,[^\s@/,]+)*(\/0?)?$/.test(s),
    { message: 'expected "embedded", a redis:// / rediss:// URL or redis+cluster://host:port,host:port,...' },
  );

/** A positive integer, or "unlimited" (null). */
const limitSchema = z.union([
  z.literal("unlimited").transform(() => null),
  z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
]);

const optionalText = z.string().trim().min(1).optional();

const booleanSchema = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** A maximum age (`400d`, `12w`, seconds), or "off" (null: kept forever). */
const retentionSchema = z.union([
  z.literal("off").transform(() => null),
  z.string().transform((text, ctx) => {
    const seconds = parseDuration(text);
    if (seconds === undefined) {
      ctx.addIssue({ code: "custom", message: 'expected a duration such as 400d, 12w or 3600, or "off"' });
      return z.NEVER;
    }
    return seconds;
  }),
]);

/** `A=30d,TXT=7d,NS=off`: a maximum age per rrtype (mnemonic or TYPEnnn), overriding --retention. */
const retentionRrtypesSchema = z.string().transform((text, ctx) => {
  const ages: Record<number, number | null> = {};
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")) {
    const [name, age] = part.split("=").map((p) => p.trim());
    const rrtype = name === undefined ? undefined : rrtypeFromText(name);
    const parsed = age === undefined ? undefined : retentionSchema.safeParse(age);
    if (rrtype === undefined || !parsed?.success) {
      ctx.addIssue({
        code: "custom",
        message: `expected RRTYPE=duration or RRTYPE=off, got ${JSON.stringify(part)}`,
      });
      return z.NEVER;
    }
    ages[rrtype] = parsed.data;
  }
  return ages;
});

/** A duration in seconds (fractions allowed), 0 meaning "no limit" when `zeroIsOff`. */
const secondsSchema = (max: number, zeroIsOff: boolean) =>
  zeroIsOff ? z.coerce.number().min(0).max(max) : z.coerce.number().min(0.1).max(max);

/**
 * Origins allowed to call the API from a browser (CORS): exact origins, as browsers send them in
 * `Origin` (`https://app.example.org`, `http://localhost:3000`), separated by commas or spaces, or a
 * list in the config file.
 */
const corsOriginsSchema = z
  .preprocess(
    (value) =>
      typeof value === "string"
        ? value
            .split(/[\s,]+/)
            .map((o) => o.trim())
            .filter((o) => o !== "")
        : value,
    z.array(
      z
        .string()
        .refine(
          (text) => /^https?:\/\/[^*]+$/.test(text) && URL.canParse(text) && new URL(text).origin === text,
          {
            message:
              "expected exact origins such as https://app.example.org or http://localhost:3000 (scheme, host, " +
              "port only when not the default; no path, no trailing slash, no wildcard)",
          },
        ),
    ),
  )
  .default([]);

/** One D4 analyzer queue `serve` consumes (README "D4 analyzer queues"). */
const d4QueueSchema = z.strictObject({
  redis: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, "expected a redis:// or rediss:// URL"),
  queue: z
    .string()
    .trim()
    .regex(/^[0-9A-Za-z-]{1,64}$/, "expected the queue uuid (letters, digits, dashes)"),
  type: z.preprocess((v) => (typeof v === "number" ? String(v) : v), z.enum(["8", "ja3-jl"])),
  sensorId: z.string().trim().min(1).max(200).optional(),
  batchSize: z.coerce.number().int().min(1).max(100_000).optional(),
});

export type D4QueueSetting = z.infer<typeof d4QueueSchema>;

/**
 * The queues as a list of objects (the config file), or as `<type>:<uuid>@<redis URL>` specs separated by
 * spaces (the repeatable flag and the variable).
 */
const d4QueuesSchema = z
  .preprocess(
    (value, ctx) => {
      if (typeof value !== "string") return value;
      return value
        .split(/\s+/)
        .filter((spec) => spec !== "")
        .map((spec) => {
          const match = /^([^:@]+):([^@]+)@(.+)$/.exec(spec);
          if (!match) {
            ctx.addIssue({ code: "custom", message: "expected <type>:<queue uuid>@redis://host:port/db" });
            return z.NEVER;
          }
          return { type: match[1], queue: match[2], redis: match[3] };
        });
    },
    z.array(d4QueueSchema).superRefine((queues, ctx) => {
      const seen = new Set<string>();
      for (const q of queues) {
        const key = `${q.type} ${q.queue} ${q.redis}`;
        if (seen.has(key))
          ctx.addIssue({ code: "custom", message: `queue ${q.queue} (type ${q.type}) is listed twice` });
        seen.add(key);
      }
    }),
  )
  .default([]);

const configSchema = z.object({
  listen: listenSchema.default({ host: "127.0.0.1", port: 8080 }),
  store: storeSchema.default("embedded"),
  dataDir: z.string().trim().min(1).default("./data"),
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, "letters, digits and _ . : - only (no braces), at most 64")
    .default("pp"),
  origin: z.string().trim().min(1).max(200).default("pdns-pssl"),
  maxPageSize: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  psslMaxCidrPrefix: z.coerce.number().int().min(16).max(32).default(23),
  pdnsMaxCidr4: z.coerce.number().int().min(0).max(32).default(16),
  pdnsMaxCidr6: z.coerce.number().int().min(0).max(128).default(48),
  bulkMaxValues: z.coerce.number().int().min(1).max(100_000).default(10_000),
  d4Listen: listenSchema.optional(),
  d4Cert: optionalText,
  d4Key: optionalText,
  d4Queues: d4QueuesSchema,
  secretKey: z
    .string()
    .trim()
    .refine((text) => Buffer.from(text, "base64").length === 32, "expected 32 bytes in base64")
    .optional(),
  retention: retentionSchema.default(null),
  retentionRrtypes: retentionRrtypesSchema.default({}),
  retentionSweepInterval: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(3600),
  ingestMaxBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(Number.MAX_SAFE_INTEGER)
    .default(1 << 30),
  defaultDaily: limitSchema.default(null),
  defaultBurstSize: limitSchema.default(null),
  defaultBurstWindow: z.coerce.number().int().positive().max(86_400).default(60),
  defaultResultsMax: limitSchema.default(null),
  auditRetentionDays: z.coerce.number().positive().max(3650).default(30),
  auditMaxEntries: z.coerce.number().int().min(1000).max(100_000_000).default(1_000_000),
  authFailureLimit: z.coerce.number().int().positive().max(1_000_000).default(10),
  authFailureWindow: z.coerce.number().int().positive().max(86_400).default(300),
  trustProxy: booleanSchema.default(false),
  opsListen: listenSchema.optional(),
  workers: z.union([z.literal("auto"), z.coerce.number().int().min(1).max(64)]).default("auto"),
  opsPublic: booleanSchema.default(false),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  jwtTtl: z.coerce.number().int().positive().max(86_400).default(900),
  jwtMaxTtl: z.coerce
    .number()
    .int()
    .positive()
    .max(7 * 86_400)
    .default(3600),
  headersTimeout: secondsSchema(3600, false).default(10),
  requestTimeout: secondsSchema(86_400, true).default(300),
  keepAliveTimeout: secondsSchema(3600, false).default(5),
  idleTimeout: secondsSchema(86_400, true).default(120),
  corsOrigins: corsOriginsSchema,
  idpIssuer: optionalText,
  idpAudience: optionalText,
  idpJwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  idpUserClaim: z.string().trim().min(1).default("sub"),
  idpRoleClaim: z.string().trim().min(1).default("role"),
  idpAlgorithms: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((a) => a.trim())
        .filter((a) => a !== ""),
    )
    .pipe(
      z
        .array(
          z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]),
        )
        .min(1),
    )
    .default(["RS256", "ES256", "EdDSA"]),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigKey = keyof Config;

/** Flag and environment variable of each setting, for parsing and for error messages. */
const SETTINGS: Record<ConfigKey, { flag: string; env: string }> = {
  listen: { flag: "--listen", env: "PDNS_PSSL_LISTEN" },
  store: { flag: "--store", env: "PDNS_PSSL_STORE" },
  dataDir: { flag: "--data-dir", env: "PDNS_PSSL_DATA_DIR" },
  keyPrefix: { flag: "--key-prefix", env: "PDNS_PSSL_KEY_PREFIX" },
  origin: { flag: "--origin", env: "PDNS_PSSL_ORIGIN" },
  maxPageSize: { flag: "--max-page-size", env: "PDNS_PSSL_MAX_PAGE_SIZE" },
  psslMaxCidrPrefix: { flag: "--pssl-max-cidr", env: "PDNS_PSSL_PSSL_MAX_CIDR" },
  pdnsMaxCidr4: { flag: "--pdns-max-cidr4", env: "PDNS_PSSL_PDNS_MAX_CIDR4" },
  pdnsMaxCidr6: { flag: "--pdns-max-cidr6", env: "PDNS_PSSL_PDNS_MAX_CIDR6" },
  bulkMaxValues: { flag: "--bulk-max-values", env: "PDNS_PSSL_BULK_MAX_VALUES" },
  ingestMaxBytes: { flag: "--ingest-max-bytes", env: "PDNS_PSSL_INGEST_MAX_BYTES" },
  retention: { flag: "--retention", env: "PDNS_PSSL_RETENTION" },
  retentionRrtypes: { flag: "--retention-rrtypes", env: "PDNS_PSSL_RETENTION_RRTYPES" },
  retentionSweepInterval: { flag: "--retention-sweep-interval", env: "PDNS_PSSL_RETENTION_SWEEP_INTERVAL" },
  secretKey: { flag: "--secret-key", env: "PDNS_PSSL_SECRET_KEY" },
  d4Listen: { flag: "--d4-listen", env: "PDNS_PSSL_D4_LISTEN" },
  d4Cert: { flag: "--d4-cert", env: "PDNS_PSSL_D4_CERT" },
  d4Key: { flag: "--d4-key", env: "PDNS_PSSL_D4_KEY" },
  d4Queues: { flag: "--d4-queue", env: "PDNS_PSSL_D4_QUEUES" },
  defaultDaily: { flag: "--default-daily", env: "PDNS_PSSL_DEFAULT_DAILY" },
  defaultBurstSize: { flag: "--default-burst-size", env: "PDNS_PSSL_DEFAULT_BURST_SIZE" },
  defaultBurstWindow: { flag: "--default-burst-window", env: "PDNS_PSSL_DEFAULT_BURST_WINDOW" },
  defaultResultsMax: { flag: "--default-results-max", env: "PDNS_PSSL_DEFAULT_RESULTS_MAX" },
  auditRetentionDays: { flag: "--audit-retention-days", env: "PDNS_PSSL_AUDIT_RETENTION_DAYS" },
  auditMaxEntries: { flag: "--audit-max-entries", env: "PDNS_PSSL_AUDIT_MAX_ENTRIES" },
  authFailureLimit: { flag: "--auth-failure-limit", env: "PDNS_PSSL_AUTH_FAILURE_LIMIT" },
  authFailureWindow: { flag: "--auth-failure-window", env: "PDNS_PSSL_AUTH_FAILURE_WINDOW" },
  trustProxy: { flag: "--trust-proxy", env: "PDNS_PSSL_TRUST_PROXY" },
  opsListen: { flag: "--ops-listen", env: "PDNS_PSSL_OPS_LISTEN" },
  workers: { flag: "--workers", env: "PDNS_PSSL_WORKERS" },
  opsPublic: { flag: "--ops-public", env: "PDNS_PSSL_OPS_PUBLIC" },
  logLevel: { flag: "--log-level", env: "PDNS_PSSL_LOG_LEVEL" },
  jwtTtl: { flag: "--jwt-ttl", env: "PDNS_PSSL_JWT_TTL" },
  jwtMaxTtl: { flag: "--jwt-max-ttl", env: "PDNS_PSSL_JWT_MAX_TTL" },
  headersTimeout: { flag: "--headers-timeout", env: "PDNS_PSSL_HEADERS_TIMEOUT" },
  requestTimeout: { flag: "--request-timeout", env: "PDNS_PSSL_REQUEST_TIMEOUT" },
  keepAliveTimeout: { flag: "--keep-alive-timeout", env: "PDNS_PSSL_KEEP_ALIVE_TIMEOUT" },
  idleTimeout: { flag: "--idle-timeout", env: "PDNS_PSSL_IDLE_TIMEOUT" },
  corsOrigins: { flag: "--cors-origins", env: "PDNS_PSSL_CORS_ORIGINS" },
  idpIssuer: { flag: "--idp-issuer", env: "PDNS_PSSL_IDP_ISSUER" },
  idpAudience: { flag: "--idp-audience", env: "PDNS_PSSL_IDP_AUDIENCE" },
  idpJwksUrl: { flag: "--idp-jwks-url", env: "PDNS_PSSL_IDP_JWKS_URL" },
  idpUserClaim: { flag: "--idp-user-claim", env: "PDNS_PSSL_IDP_USER_CLAIM" },
  idpRoleClaim: { flag: "--idp-role-claim", env: "PDNS_PSSL_IDP_ROLE_CLAIM" },
  idpAlgorithms: { flag: "--idp-algorithms", env: "PDNS_PSSL_IDP_ALGORITHMS" },
};

export class ConfigError extends Error {}

/** Flags as given on the command line, and the config file (`--config`, else PDNS_PSSL_CONFIG). */
export type ConfigFlags = Partial<Record<ConfigKey | "config", string>>;

/**
 * The settings of a JSON config file: one object, keyed by the setting names of the schema (camelCase),
 * each value a string, a number or a boolean (read as the same text on the command line would be),
 * `d4Queues` a list of queue objects and `corsOrigins` a list of origins (or one comma-separated string).
 */
function readConfigFile(file: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `config file ${file}: ${code ? `cannot be read (${code})` : `not JSON (${(error as Error).message})`}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(`config file ${file}: expected one JSON object of settings`);
  }
  const settings: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (!Object.hasOwn(SETTINGS, key)) {
      // A flag or variable name where the setting's name belongs: name the setting.
      const bare = (name: string) =>
        name
          .replace(/^(--|PDNS_PSSL_)/, "")
          .replace(/[-_]/g, "")
          .toLowerCase();
      const known = (Object.entries(SETTINGS) as [ConfigKey, { flag: string; env: string }][]).find(
        ([name, { flag, env }]) => [name, flag, env].some((n) => bare(n) === bare(key)),
      )?.[0];
      throw new ConfigError(
        `config file ${file}: unknown setting ${JSON.stringify(key)}${known ? ` (did you mean "${known}"?)` : ""}`,
      );
    }
    if (key === "d4Queues") settings[key] = setting;
    else if (key === "corsOrigins" && Array.isArray(setting)) settings[key] = setting;
    else if (typeof setting === "string") settings[key] = setting;
    else if (typeof setting === "number" || typeof setting === "boolean") settings[key] = String(setting);
    else throw new ConfigError(`config file ${file}: ${key} must be a string, a number or a boolean`);
  }
  return settings;
}

/**
 * Validates flags over environment over the config file over defaults; throws ConfigError with one
 * readable line.
 */
export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const configFile = flags.config ?? env.PDNS_PSSL_CONFIG;
  const file = configFile ? readConfigFile(configFile) : {};
  const raw: Record<string, unknown> = {};
  for (const [key, { env: variable }] of Object.entries(SETTINGS) as [ConfigKey, { env: string }][]) {
    const value = flags[key] ?? env[variable] ?? file[key];
    if (value !== undefined) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) {
    const idp = [parsed.data.idpIssuer, parsed.data.idpAudience, parsed.data.idpJwksUrl];
    if (idp.some((v) => v !== undefined) && !idp.every((v) => v !== undefined)) {
      throw new ConfigError(
        "an external identity provider needs all three of --idp-issuer, --idp-audience and --idp-jwks-url",
      );
    }
    const { headersTimeout, requestTimeout } = parsed.data;
    if (requestTimeout > 0 && headersTimeout > requestTimeout) {
      throw new ConfigError(
        `--headers-timeout (${headersTimeout} s) may not be longer than --request-timeout (${requestTimeout} s)`,
      );
    }
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] as ConfigKey;
  const setting = SETTINGS[key];
  // Where in a list of queues, e.g. d4Queues[1].type.
  const at = (issue?.path.slice(1) ?? [])
    .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
    .join("");
  const source =
    flags[key] !== undefined
      ? `${setting.flag}${at}`
      : env[setting.env] !== undefined
        ? `${setting.env}${at}`
        : `${key}${at} in ${configFile}`;
  // A secret is never echoed, not even when it is wrong (nor queues: their Redis URLs may hold a password).
  const got = key === "secretKey" || key === "d4Queues" ? "" : ` (got ${JSON.stringify(raw[key])})`;
  throw new ConfigError(`invalid ${source} (${setting.flag} / ${setting.env}): ${issue?.message}${got}`);
}
