/**
 * Redis reaches its `maxmemory` (policy noeviction) under a running server: Redis's "disk full".
 *
 * A private redis-server limited to 8 MiB and a real `pdns-pssl serve --store redis://…` child process.
 * A sensor ingests until a request is refused; then:
 * - that request is answered 507 `store_full` in the common error shape (Redis's `OOM` reply), not 500;
 * - the server stays up and every record acknowledged before is there;
 * - once Redis may use more memory (`CONFIG SET maxmemory`), ingest works again without a restart.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, redisServerBinary, startPrivateRedis } from "../helpers/redis-server.js";
import {
  addUsers,
  type Credentials,
  get,
  ingestUntilRefused,
  passiveDnsLines,
  postPassiveDns,
  recordsOf,
  type ServeChild,
  STORE_FULL,
  startServe,
} from "./helpers.js";

const REQUEST_LINES = 5_000;

describe.skipIf(!redisServerBinary)("Redis at its maxmemory under a running server", () => {
  let dir = "";
  let redis: PrivateRedis;
  let admin: Redis;
  let server: ServeChild;
  let auth: Credentials;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-fault-maxmemory-"));
    redis = await startPrivateRedis({ dir });
    admin = new Redis(redis.url);
    await admin.config("SET", "maxmemory-policy", "noeviction");
    await admin.config("SET", "maxmemory", "8mb");
    auth = await addUsers({ store: redis.url, dataDir: "", keyPrefix: "pp" });
    server = await startServe(["--store", redis.url]);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.kill();
    await redis?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 507 store_full, keeps what it acknowledged, and ingests again once Redis has room", async () => {
    const { base } = server;
    const { acknowledged, refused } = await ingestUntilRefused(
      base,
      auth.sensor,
      (n) => `m${n}.maxmemory.example`,
      REQUEST_LINES,
    );
    if (!refused) throw new Error("Redis never reached its maxmemory");
    expect(refused.status, server.problems()).toBe(507);
    expect(refused.body).toEqual({ ...STORE_FULL, requestId: expect.any(String) });
    expect(acknowledged.length).toBeGreaterThan(0);

    // Reads go on (for a user whose queries write no quota counter), and nothing acknowledged is lost.
    expect(server.running(), server.problems()).toBe(true);
    for (const name of acknowledged) {
      expect((await recordsOf(base, auth.unmetered, name)).size, name).toBe(REQUEST_LINES);
    }
    expect((await get(base, "/v2pssl/query/10.0.0.1", auth.unmetered)).status).toBe(200);

    // Room again: the same server takes the refused request whole.
    await admin.config("SET", "maxmemory", "0");
    const retried = await postPassiveDns(base, auth.sensor, passiveDnsLines(refused.name, REQUEST_LINES));
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect((await recordsOf(base, auth.analyst, refused.name)).size).toBe(REQUEST_LINES);
    expect(server.running(), server.problems()).toBe(true);
    expect(server.log()).not.toContain('"msg":"request failed"');

    console.log(
      `redis maxmemory (8 MiB): ${acknowledged.length} requests acknowledged ` +
        `(${acknowledged.length * REQUEST_LINES} records, all found), the next one answered ${refused.status}; ` +
        "after raising maxmemory it was stored whole",
    );
  });
});
