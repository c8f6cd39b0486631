/**
 * The audit log: one entry per query and per admin action (who, through which token, what, how many
 * results, with what status, from where). Entries are buffered briefly and written in batches, so
 * auditing costs a request no store round trip; the store keeps them within the configured retention.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { AuditRetention, Store } from "../store/types.js";

/** One audited request, as admins read it. */
export interface AuditEntry {
  time: string;
  user: string;
  token_id: string;
  method: string;
  route: string;
  value: string;
  results: number | null;
  status: number;
  client_ip: string;
  request_id: string;
  /** True when the client went away before the whole answer was sent. */
  aborted?: boolean;
}

/** What a read asks for: one user's or everyone's entries in a time range, newest first, paged. */
export interface AuditQuery {
  user?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Present when more entries may follow: pass it back as `cursor`. */
  cursor?: string;
}

const CURSOR_PATTERN = /^([0-9]{1,15})-([0-9a-f]{16})$/;
const FLUSH_INTERVAL_MS = 250;
const FLUSH_SIZE = 500;
/** Entries held while the store is unreachable; beyond it the oldest are dropped (and counted). */
const MAX_PENDING = 50_000;

const entrySchema = z.object({
  time: z.string(),
  user: z.string(),
  token_id: z.string(),
  method: z.string(),
  route: z.string(),
  value: z.string(),
  results: z.number().nullable(),
  status: z.number(),
  client_ip: z.string(),
  request_id: z.string(),
  aborted: z.boolean().optional(),
});

/** A cursor that does not parse: the caller's error. */
export class AuditCursorError extends Error {}

export class AuditLog {
  readonly #store: Store;
  readonly #retention: AuditRetention;
  readonly #log: (message: string) => void;
  #pending: Array<{ timeMs: number; id: string; user: string; json: string }> = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #dropped = 0;
  // Entry ids: 32 random bits naming this process, then a sequence (unique without a random draw each).
  readonly #idPrefix = randomBytes(4).toString("hex");
  #sequence = 0;

  #nextId(): string {
    this.#sequence = (this.#sequence + 1) % 0x1_0000_0000;
    return this.#idPrefix + this.#sequence.toString(16).padStart(8, "0");
  }

  constructor(store: Store, retention: AuditRetention, log: (message: string) => void) {
    this.#store = store;
    this.#retention = retention;
    this.#log = log;
  }

  /** Queues an entry; it reaches the store within a quarter of a second. */
  record(entry: AuditEntry): void {
    const timeMs = Date.parse(entry.time);
    this.#pending.push({
      timeMs,
      id: this.#nextId(),
      user: entry.user,
      json: JSON.stringify(entry),
    });
    if (this.#pending.length > MAX_PENDING) {
      this.#pending.shift();
      this.#dropped++;
    }
    if (this.#pending.length >= FLUSH_SIZE) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Writes what is queued; resolves when it is stored (or has failed and been logged). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    this.#flushing = this.#flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.#store.appendAudit(batch, this.#retention);
      } catch (error) {
        // Put them back for the next flush (bounded by MAX_PENDING): the audit must survive a blip.
        this.#pending = [...batch, ...this.#pending].slice(-MAX_PENDING);
        this.#log(`audit: could not store ${batch.length} entries, will retry: ${(error as Error).message}`);
        this.#timer ??= setTimeout(() => void this.flush(), 1000);
      }
      if (this.#dropped > 0) {
        this.#log(`audit: dropped ${this.#dropped} entries while the store was unreachable`);
        this.#dropped = 0;
      }
    });
    return this.#flushing;
  }

  /** Entries newest first; throws AuditCursorError for a cursor this log did not issue. */
  async read(query: AuditQuery): Promise<AuditPage> {
    let before: { timeMs: number; id: string } | undefined;
    if (query.cursor !== undefined) {
      const match = CURSOR_PATTERN.exec(query.cursor);
      if (!match) throw new AuditCursorError("cursor is not one this server issued");
      before = { timeMs: Number(match[1]), id: match[2] as string };
    }
    // One more than asked: a cursor only when something follows (none on the last page).
    const stored = await this.#store.readAudit({
      user: query.user,
      sinceMs: query.sinceMs,
      untilMs: query.untilMs,
      before,
      limit: query.limit + 1,
    });
    const page = stored.slice(0, query.limit);
    const entries = page.map((s) => entrySchema.parse(JSON.parse(s.json)) as AuditEntry);
    const last = page[page.length - 1];
    return stored.length > query.limit && last
      ? { entries, cursor: `${last.timeMs}-${last.id}` }
      : { entries };
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
