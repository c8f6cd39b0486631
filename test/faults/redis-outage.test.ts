/**
 * Redis SIGKILLed and started again under a running server, during HTTP ingest and queries.
 *
 * A private redis-server (AOF, fsync'd before every answer) and a real `pdns-pssl serve --store redis://…`
 * child process. While a sensor keeps posting streamed bodies, an analyst keeps querying three APIs and
 * one long ingest has a batch in flight, Redis is SIGKILLed, left down for a few seconds, and started
 * again on the same port over the same data. What must hold:
 * - while Redis is down, queries answer 503 `store_unavailable` in the common error shape, promptly;
 *   an answer already streaming when Redis died is complete, ends in DNSDB's `failed` condition, or
 *   has its connection dropped: never a 200 that looks whole but is not;
 * - once it is back, they answer 200 again, without restarting the server (which never exits);
 * - ingest requests during the outage fail with 503, and no request is answered 2xx unless every
 *   record it carried is in the store afterwards (no acknowledged record lost);
 * - stopped (SIGTERM) while Redis is down, the server still exits cleanly.
 * FAULTS_LONG=1 repeats the kill and restart 4 times and keeps Redis down 8 s each time.
 */
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, redisServerBinary, startPrivateRedis } from "../helpers/redis-server.js";
import {
  type Answer,
  addUsers,
  type Credentials,
  get,
  type IngestOutcome,
  passiveDnsLines,
  percentile,
  postPassiveDns,
  recordsOf,
  type ServeChild,
  sleep,
  startServe,
  streamedBody,
  waitFor,
} from "./helpers.js";

const LONG = process.env.FAULTS_LONG === "1";
/** Kill-and-restart rounds, and how long Redis stays down in each. */
const ROUNDS = LONG ? 4 : 1;
const DOWN_MS = LONG ? 8_000 : 2_500;
/** Lines per small ingest request (streamed in 4 chunks), and in the long request (two batches of 50,000). */
const SMALL_LINES = 1_000;
const LONG_LINES = 60_000;

const STORE_UNAVAILABLE = {
  code: "store_unavailable",
  message: "the store cannot be reached; try again shortly",
};

interface Posted extends IngestOutcome {
  name: string;
  started: number;
}

/** Timestamps of one outage: SIGKILL sent, Redis gone (exited), its restart begun, and done. */
interface Outage {
  killing: number;
  killed: number;
  restarting: number;
  restarted: number;
}

/**
 * Whether a 200 answer is the whole answer: the same text as before the outage (nothing was written to
 * these names and this address since). DNSDB's SAF may instead end in `{"cond":"failed",…}` when the store
 * failed mid-answer: the protocol's own signal, allowed for an answer in flight when Redis died.
 */
function isWhole(answer: Answer, before: string, inFlight: boolean): boolean {
  if (answer.text === before) return true;
  const end = answer.text.trimEnd().split("\n").at(-1) ?? "";
  return inFlight && answer.path.startsWith("/dnsdb/") && end.startsWith('{"cond":"failed",');
}

describe.skipIf(!redisServerBinary)("Redis killed and restarted under a running server", () => {
  let dir = "";
  let redis: PrivateRedis;
  let server: ServeChild;
  let auth: Credentials;
  /** A client of the test's own, to see what has reached Redis. */
  let watcher: Redis;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-fault-redis-"));
    redis = await startPrivateRedis({ dir, persistent: true });
    auth = await addUsers({ store: redis.url, dataDir: "", keyPrefix: "pp" });
    server = await startServe(["--store", redis.url]);
    watcher = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    watcher.on("error", () => {});
  });
  afterAll(async () => {
    watcher?.disconnect();
    await server?.kill();
    await redis?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    "answers 503 store_unavailable while Redis is down, 200 once it is back, and loses no acknowledged record",
    async () => {
      const acked = await postPassiveDns(
        server.base,
        auth.sensor,
        passiveDnsLines("base.outage.example", 2_000),
      );
      expect(acked.status).toBe(200);

      let stop = false;
      const queries: Answer[] = [];
      const posts: Posted[] = [];
      const paths = [
        "/pdns/query/base.outage.example",
        "/dnsdb/v2/lookup/rrset/name/base.outage.example",
        "/v2pssl/query/127.0.0.1",
      ];
      // What each answers before the outage (passive SSL: the sample's 50 TLS sessions to 127.0.0.1).
      const sessions = await readFile(new URL("../../../shared/samples/ja3-jl.ndjson", import.meta.url));
      const tls = await fetch(`${server.base}/ingest/ja3-jl`, {
        method: "POST",
        headers: { authorization: auth.sensor },
        body: sessions,
      });
      expect(tls.status).toBe(200);
      const baseline = new Map<string, string>();
      for (const path of paths) {
        const answer = await get(server.base, path, auth.analyst);
        expect(answer.status, path).toBe(200);
        baseline.set(path, answer.text);
      }
      expect(Object.keys(JSON.parse(baseline.get(paths[2] as string) ?? "{}"))).toEqual(["127.0.0.1"]);
      // An analyst querying the three APIs in turn, back to back.
      const querying = (async () => {
        for (let n = 0; !stop; n++) {
          queries.push(await get(server.base, paths[n % paths.length] as string, auth.analyst));
          await sleep(20);
        }
      })();
      // A sensor posting one small streamed body after another, each under a name of its own.
      const posting = (async () => {
        for (let n = 0; !stop; n++) {
          const name = `s${n}.outage.example`;
          const lines = passiveDnsLines(name, SMALL_LINES);
          const quarter = lines.length / 4;
          const chunks = async function* () {
            for (let at = 0; at < lines.length; at += quarter) {
              yield lines.slice(at, at + quarter);
              await sleep(25);
            }
          };
          const started = Date.now();
          const outcome = await postPassiveDns(server.base, auth.sensor, streamedBody(chunks()));
          posts.push({ name, started, ...outcome });
          // As a sensor would: back off a little after a failure.
          if (outcome.status !== 200) await sleep(50);
        }
      })();

      const outages: Outage[] = [];
      const longOutcomes: IngestOutcome[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        await sleep(500);
        // One long body: its first batch (50,000 lines) is written while the rest is held back, and Redis
        // is killed under that write; the body ends during the outage.
        let firstBatchSent: () => void = () => {};
        const sentEnough = new Promise<void>((resolve) => {
          firstBatchSent = resolve;
        });
        let resume: () => void = () => {};
        const resumed = new Promise<void>((resolve) => {
          resume = resolve;
        });
        const longBody = async function* () {
          for (let at = 0; at < LONG_LINES; at += 5_000) {
            if (at === 55_000) {
              firstBatchSent();
              await resumed;
            }
            yield passiveDnsLines(`l${round}-${at}.long.outage.example`, 5_000, at);
          }
        };
        const long = postPassiveDns(server.base, auth.sensor, streamedBody(longBody()));
        await sentEnough;
        // The first batch's merges have begun landing in Redis: kill it under that write.
        await waitFor("the first batch to reach Redis", async () =>
          (await watcher.exists(`pp:o:{l${round}-0.long.outage.example}`)) === 1 ? true : undefined,
        );
        const killing = Date.now();
        await redis.kill("SIGKILL");
        const killed = Date.now();
        await sleep(DOWN_MS / 2);
        resume();
        await sleep(DOWN_MS / 2);
        const restarting = Date.now();
        await redis.restart();
        outages.push({ killing, killed, restarting, restarted: Date.now() });
        longOutcomes.push(await long);
        // Back: every API answers 200 again.
        await waitFor("the three APIs to answer 200 again", async () => {
          if (!server.running()) throw new Error(`the server exited: ${server.problems()}`);
          const answers = await Promise.all(paths.map((path) => get(server.base, path, auth.analyst)));
          return answers.every((a) => a.status === 200) ? true : undefined;
        });
        // And the sensor's posts are acknowledged again.
        const restarted = outages.at(-1)?.restarted ?? 0;
        await waitFor("an ingest acknowledged after the restart", async () =>
          posts.some((p) => p.status === 200 && p.started >= restarted) ? true : undefined,
        );
      }
      stop = true;
      await Promise.all([querying, posting]);

      // The server never stopped.
      expect(server.running(), server.problems()).toBe(true);

      // Queries: 200 or a prompt 503 in the common error shape. Only an answer already streaming when
      // Redis died may be cut short instead (its 200 was sent; dropping the connection is what says the
      // rest is missing).
      const down = (a: { started: number; ms: number }) =>
        outages.some((o) => a.started >= o.killed && a.started + a.ms <= o.restarting);
      const inFlightAtKill = (a: { started: number; ms: number }) =>
        outages.some((o) => a.started <= o.killed && a.started + a.ms >= o.killing);
      for (const answer of queries) {
        const allowed = inFlightAtKill(answer) ? [200, 503, "connection lost"] : [200, 503];
        expect(allowed, `${answer.path}: ${answer.text}`).toContain(answer.status);
        if (answer.status === 503) {
          expect(answer.body).toEqual({ ...STORE_UNAVAILABLE, requestId: expect.any(String) });
        }
        if (answer.status === 200) {
          const whole = isWhole(answer, baseline.get(answer.path) ?? "", inFlightAtKill(answer));
          expect(whole, `${answer.path} (${answer.ms} ms): …${answer.text.slice(-300)}`).toBe(true);
        }
      }
      const whileDown = queries.filter(down);
      for (const path of paths) {
        expect(whileDown.filter((a) => a.path === path).length, path).toBeGreaterThan(0);
      }
      expect(whileDown.every((a) => a.status === 503)).toBe(true);
      const downMs = whileDown.map((a) => a.ms);
      expect(percentile(downMs, 100)).toBeLessThan(2_000);

      // Recovery: the first query started after the restart that answered 200, per outage.
      const recoveries = outages.map((o) => {
        const first = queries.find((a) => a.started >= o.restarted && a.status === 200);
        return first ? first.started + first.ms - o.restarted : Number.POSITIVE_INFINITY;
      });
      expect(Math.max(...recoveries)).toBeLessThan(5_000);

      // Ingest: 200 or 503 (or the connection lost, if the answer raced the upload); never 200 while down.
      for (const post of [...posts, ...longOutcomes]) {
        expect([200, 503, "connection lost"], JSON.stringify(post.body)).toContain(post.status);
        if (post.status === 503) {
          expect(post.body).toEqual({ ...STORE_UNAVAILABLE, requestId: expect.any(String) });
        }
      }
      expect(posts.filter(down).some((p) => p.status === 200)).toBe(false);
      expect(posts.filter((p) => p.status === 503).length).toBeGreaterThan(0);
      expect(longOutcomes.every((o) => o.status !== 200)).toBe(true);

      // No acknowledged record lost: every request answered 200 has all its records.
      const acknowledged = posts.filter((p) => p.status === 200);
      const firstKill = outages[0]?.killing ?? 0;
      expect(acknowledged.filter((p) => p.started + p.ms < firstKill).length).toBeGreaterThan(0);
      for (const post of acknowledged) {
        expect((await recordsOf(server.base, auth.analyst, post.name)).size, post.name).toBe(SMALL_LINES);
      }
      expect((await recordsOf(server.base, auth.analyst, "base.outage.example")).size).toBe(2_000);
      // And ingest works again.
      const after = await postPassiveDns(
        server.base,
        auth.sensor,
        passiveDnsLines("after.outage.example", 500),
      );
      expect(after.status).toBe(200);
      expect((await recordsOf(server.base, auth.analyst, "after.outage.example")).size).toBe(500);
      expect(server.running()).toBe(true);

      const atKill = queries.filter(inFlightAtKill).map((a) => `${a.status} in ${a.ms} ms`);
      console.log(
        `redis outage: ${ROUNDS} kill(s), ${queries.length} queries (in flight at a kill: ` +
          `${atKill.join(", ")}), ${whileDown.length} while down (503 in ` +
          `p50 ${percentile(downMs, 50)} ms, max ${percentile(downMs, 100)} ms), recovery ` +
          `${recoveries.join("/")} ms after restart; ingest: ${acknowledged.length} requests acknowledged ` +
          `(${acknowledged.length * SMALL_LINES} records, all found), ` +
          `${posts.filter((p) => p.status === 503).length} answered 503, ` +
          `${posts.filter((p) => p.status === "connection lost").length} connection lost`,
      );
    },
    LONG ? 300_000 : 60_000,
  );

  it("stops cleanly on SIGTERM while Redis is down", async () => {
    expect(server.running()).toBe(true);
    await redis.kill("SIGKILL");
    const started = Date.now();
    const exited = once(server.process, "exit");
    server.process.kill("SIGTERM");
    const [code] = await exited;
    expect(code, server.problems()).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
