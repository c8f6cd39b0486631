/**
 * The process's structured log: one JSON object per line on stderr (pino), with `time`, `level`, `msg`
 * and whatever fields the caller adds (a request's `req_id`, route, status...). Credentials never reach
 * it: nothing logs headers or bodies, and fields that could hold one are redacted as a second guard.
 */
import { pino } from "pino";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LEVELS)[number];

export function isLogLevel(text: string): text is LogLevel {
  return (LEVELS as readonly string[]).includes(text);
}

const initialLevel = process.env.PDNS_PSSL_LOG_LEVEL ?? "info";

export const logger = pino(
  {
    base: undefined,
    level: isLogLevel(initialLevel) ? initialLevel : "info",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        "authorization",
        "headers.authorization",
        "headers.cookie",
        "headers['x-api-key']",
        "token",
        "password",
        "key",
        "secret",
      ],
      censor: "[redacted]",
    },
  },
  pino.destination({ fd: 2, sync: true }),
);

export function setLogLevel(level: LogLevel): void {
  logger.level = level;
}

/** A line of text for the log (the form most modules use: `log("what happened")`). */
export function log(message: string): void {
  logger.info(message);
}
