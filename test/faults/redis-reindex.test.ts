/**
 * A Redis write is two round trips: merge the records, then index the ones just created (by address,
 * by rdata name, in the name and address buckets). An outage between the two leaves records that exist
 * but that address lookups cannot find, and the sensor's retry finds them existing. After a failed write
 * the store indexes every record it merges for a while (REINDEX_AFTER_FAILURE_MS), so the retry that
 * follows an outage repairs the cut.
 *
 * The cut is made by hand (the index keys of freshly ingested records deleted: what a death between the
 * two round trips leaves), then Redis is SIGKILLed under the running server so that a write fails, and
 * restarted; the sensor's retry of the same lines must make every address lookup whole again.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNdjsonStrict } from "../helpers/http.js";
import { type PrivateRedis, redisServerBinary, startPrivateRedis } from "../helpers/redis-server.js";
import {
  addUsers,
  type Credentials,
  get,
  passiveDnsLines,
  postPassiveDns,
  type ServeChild,
  startServe,
  waitFor,
} from "./helpers.js";

const RECORDS = 200;

if (!redisServerBinary) {
  if (process.env.CI) throw new Error("CI is set but redis-server is not on PATH");
  console.warn("\n!!! redis-server is not on PATH: the Redis reindex fault test is SKIPPED !!!\n");
}

describe.skipIf(!redisServerBinary)("a retried ingest after a Redis outage repairs the indexes", () => {
  let dir: string;
  let redis: PrivateRedis;
  let server: ServeChild;
  let auth: Credentials;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-reindex-"));
    redis = await startPrivateRedis({ dir, persistent: true });
    auth = await addUsers({ store: redis.url, dataDir: "", keyPrefix: "pp" });
    server = await startServe(["--store", redis.url]);
  }, 60_000);
  afterAll(async () => {
    await server?.kill();
    await redis?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** How many of the records' addresses an address lookup finds the name at. */
  async function addressesFound(name: string): Promise<number> {
    let found = 0;
    for (let i = 0; i < RECORDS; i++) {
      const answer = await get(server.base, `/pdns/query/10.0.${(i >> 8) & 255}.${i & 255}`, auth.unmetered);
      expect(answer.status).toBe(200);
      if (parseNdjsonStrict(answer.text).some((record) => record.rrname === name)) found++;
    }
    return found;
  }

  it("indexes the records the cut left unindexed when the sensor sends them again", async () => {
    const name = "cut.example.org";
    const lines = passiveDnsLines(name, RECORDS);
    expect((await postPassiveDns(server.base, auth.sensor, lines)).status).toBe(200);
    expect(await addressesFound(name)).toBe(RECORDS);

    // What a death between the two round trips leaves: the records, without their index entries.
    const client = new Redis(redis.url);
    const indexKeys = [...(await client.keys("pp:ip:*")), ...(await client.keys("pp:ax:*"))];
    expect(indexKeys.length).toBeGreaterThan(0);
    await client.del(...indexKeys);
    client.disconnect();
    expect(await addressesFound(name)).toBe(0);

    // A Redis outage under the server: a write fails (503), then Redis comes back.
    await redis.kill();
    const refused = await postPassiveDns(server.base, auth.sensor, passiveDnsLines("other.example.org", 10));
    expect(refused.status).toBe(503);
    await redis.restart();
    await waitFor("the store to be back", async () => {
      const ready = await get(server.base, "/pdns/query/cut.example.org", auth.unmetered);
      return ready.status === 200 ? true : undefined;
    });

    // The sensor retries what it sent: the records exist already, and are indexed again.
    expect((await postPassiveDns(server.base, auth.sensor, lines)).status).toBe(200);
    expect(await addressesFound(name)).toBe(RECORDS);
    expect(server.running()).toBe(true);
  }, 90_000);
});
