/**
 * The configuration: one zod schema over command-line flags and environment variables (flags win).
 * A bad value stops start-up with one line naming the flag and the variable.
 */
import { z } from "zod";

const PORT = z.coerce.number().int().min(0).max(65535);

/** `host:port`, `[v6]:port`, `:port` or `port`. */
const listenSchema = z.string().transform((text, ctx) => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))?:?([0-9]{1,5})$/.exec(text.trim());
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
  .refine((s) => s === "embedded" || /^rediss?:\/\/[^\s]+$/.test(s), {
    message: 'expected "embedded" or a redis:// / rediss:// URL',
  });

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
};

export class ConfigError extends Error {}

/** Validates flags over environment over defaults; throws ConfigError with one readable line. */
export function loadConfig(
  flags: Partial<Record<ConfigKey, string>>,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const raw: Record<string, string> = {};
  for (const [key, { env: variable }] of Object.entries(SETTINGS) as [ConfigKey, { env: string }][]) {
    const value = flags[key] ?? env[variable];
    if (value !== undefined) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0] as ConfigKey;
  const setting = SETTINGS[key];
  const source = flags[key] !== undefined ? setting.flag : setting.env;
  throw new ConfigError(
    `invalid ${source} (${setting.flag} / ${setting.env}): ${issue?.message} (got ${JSON.stringify(raw[key])})`,
  );
}
