/**
 * What a failed store call means for whoever asked, whichever backend raised it. Two failures are
 * conditions of the store rather than bugs, and clients are told so (HTTP maps them in errors.ts):
 * - `unavailable`: Redis or Kvrocks cannot be reached right now (down, restarting, loading its data,
 *   busy, a cluster without a master for some slots); the same call is worth retrying shortly;
 * - `full`: the store has no room left (the disk under LMDB, LMDB's map, Redis's `maxmemory`); writes
 *   fail until an operator frees space, while reads go on.
 * Anything else is unexpected.
 */
export type StoreFailure = "unavailable" | "full";

/** Socket errors of a connection to Redis or Kvrocks that cannot be made or was lost. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * What ioredis says when a command is refused or abandoned for want of a connection: no connection now
 * (offline queue disabled), the connection closed or lost with the command in flight, the retries per
 * command used up, a cluster with no reachable node, a socket timeout.
 */
const CONNECTION_MESSAGES = [
  "enableOfflineQueue options is false",
  "Connection is closed",
  "Command aborted due to connection close",
  "Reached the max retries per request limit",
  "None of startup nodes is available",
  "Failed to refresh slots cache",
  "Cluster is disconnected",
  "Node is disconnected",
  "Socket timeout",
  "Command timed out",
];

/** Error replies of a server that is up but cannot serve yet; each is worth retrying shortly. */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN) /;

/** Out of room: Redis's maxmemory (an `OOM` reply), no space on the device, a quota, LMDB's map full. */
const FULL_CODES = new Set<string | number>(["ENOSPC", "EDQUOT", 28, 122, -30792]);
const FULL_MESSAGES = /^OOM |No space left on device|Disk quota exceeded|MDB_MAP_FULL/;

/** The store failure `error` stands for, if any (see StoreFailure). */
export function storeFailureOf(error: unknown): StoreFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException & { code?: string | number }).code;
  const message = error.message ?? "";
  if ((code !== undefined && FULL_CODES.has(code)) || FULL_MESSAGES.test(message)) return "full";
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return "unavailable";
  if (TRANSIENT_REPLIES.test(message)) return "unavailable";
  if (CONNECTION_MESSAGES.some((text) => message.includes(text))) return "unavailable";
  // ioredis's cluster client wraps the last node's error; errors with a cause may hide one too.
  const inner = (error as { lastNodeError?: unknown }).lastNodeError ?? error.cause;
  return inner === undefined || inner === error ? undefined : storeFailureOf(inner);
}
