/**
 * The embedded store opens cleanly after the process writing it is SIGKILLed.
 *
 * http-ingest-kill.test.ts kills `serve` as started by default: a primary whose workers then stop on
 * their own, and checks one acknowledged ingest after a restart. Here the killed process is the one
 * writing (`--workers 1`), while it commits large batches of a long ingest and answers small ones, at
 * a moment that varies from round to round. After each kill:
 * - the CLI opens the data directory first (LMDB's lock file still names the dead writer) and imports;
 * - a new server over the same directory serves every record of every ingest acknowledged with 200,
 *   in this round and the ones before, and what the CLI imported;
 * - of the long ingest, never acknowledged, what is there is whole batches in order: its records form
 *   a prefix of its lines (a batch is one LMDB transaction, batches are written one after the other);
 * - new HTTP ingest works.
 * FAULTS_LONG=1 runs 8 rounds instead of 2 (half of them kill inside a write transaction, the others
 * up to 1.2 s after the long ingest's first commit).
 */
import { randomInt } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import {
  addUsers,
  type Credentials,
  type IngestOutcome,
  passiveDnsLines,
  postPassiveDns,
  recordsOf,
  type ServeChild,
  sleep,
  startServe,
  streamedBody,
  waitFor,
} from "./helpers.js";

const ROUNDS = process.env.FAULTS_LONG === "1" ? 8 : 2;
/** Lines per small (acknowledged) ingest; the long ingest: names of 5,000 lines, 200,000 lines in all. */
const SMALL_LINES = 1_000;
const NAME_LINES = 5_000;
const LONG_NAMES = 40;

/**
 * Waits until the server stops answering for `ms`: it is inside a long synchronous section, which for a
 * server taking a 50,000-line batch is its LMDB write transaction (parsing goes a body chunk at a time).
 * Fails after 30 s.
 */
async function waitForStall(base: string, ms: number): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(20)) {
    const probe = fetch(`${base}/healthz`).then(
      (response) => response.arrayBuffer(),
      () => undefined,
    );
    const answered = await Promise.race([probe.then(() => true), sleep(ms).then(() => false)]);
    if (!answered) return;
  }
  throw new Error(`the server never stalled for ${ms} ms`);
}

describe("the embedded store after its writer is SIGKILLed", () => {
  let dir = "";
  let dataDir = "";
  let auth: Credentials;
  let server: ServeChild | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-fault-crash-"));
    dataDir = join(dir, "store");
    auth = await addUsers({ store: "embedded", dataDir, keyPrefix: "pp" });
  });
  afterAll(async () => {
    await server?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    "opens, keeps every acknowledged record and whole batches only, and takes new writes",
    async () => {
      const serveArgs = ["--store", "embedded", "--data-dir", dataDir, "--ops-public", "true"];
      const env = { PDNS_PSSL_STORE: "embedded", PDNS_PSSL_DATA_DIR: dataDir };
      /** Names whose ingest was acknowledged (or imported by the CLI), and how many records each holds. */
      const acknowledged = new Map<string, number>();
      const report: string[] = [];

      server = await startServe(serveArgs);
      for (let round = 0; round < ROUNDS; round++) {
        // The server of this round: the first, or the one started over the crashed store last round.
        const { base } = server;

        // A sensor posting small bodies back to back, until the connection goes.
        let stop = false;
        const small: Array<IngestOutcome & { name: string }> = [];
        const posting = (async () => {
          for (let n = 0; !stop; n++) {
            const name = `a${round}-${n}.crash.example`;
            const outcome = await postPassiveDns(base, auth.sensor, passiveDnsLines(name, SMALL_LINES));
            small.push({ ...outcome, name });
            if (outcome.status !== 200) break;
          }
        })();
        // And a long one, streamed as fast as the server takes it: batches of 50,000 lines committed
        // one after the other while it runs.
        const longName = (k: number) => `b${round}-${k}.crash.example`;
        const longBody = function* () {
          for (let k = 0; k < LONG_NAMES; k++) yield passiveDnsLines(longName(k), NAME_LINES, k * NAME_LINES);
        };
        const long = postPassiveDns(base, auth.sensor, streamedBody(longBody()));

        // SIGKILL at a moment that varies. Even rounds: while the server stalls inside the write
        // transaction of the long ingest's first batch (holding LMDB's write lock, nothing committed).
        // Odd rounds: once that first batch is committed (its records are served), and up to 1.2 s
        // later: while the next batch is read, written or committed.
        const inTransaction = round % 2 === 0;
        let delay = 0;
        if (inTransaction) {
          await waitForStall(base, 200);
        } else {
          await waitFor("the first batch of the long ingest to be committed", async () =>
            (await recordsOf(base, auth.analyst, longName(0))).size === NAME_LINES ? true : undefined,
          );
          delay = randomInt(1_200);
        }
        await sleep(delay);
        await server.kill("SIGKILL");
        stop = true;
        await posting;
        const longOutcome = await long;
        expect(longOutcome.status).toBe("connection lost");
        for (const post of small) {
          expect([200, "connection lost"]).toContain(post.status);
          if (post.status === 200) acknowledged.set(post.name, SMALL_LINES);
        }

        // The CLI is the first to open the directory after the crash, and writes to it.
        const input = join(dir, `cli-${round}.txt`);
        await writeFile(input, passiveDnsLines(`cli${round}.crash.example`, SMALL_LINES));
        const imported = await runCli(["ingest", "passivedns", input, "--no-worker"], env);
        expect(imported.code, imported.stderr).toBe(0);
        acknowledged.set(`cli${round}.crash.example`, SMALL_LINES);

        // A new server over the same directory.
        server = await startServe(serveArgs);
        for (const [name, count] of acknowledged) {
          expect((await recordsOf(server.base, auth.analyst, name)).size, name).toBe(count);
        }
        // The long ingest: a prefix of its lines, i.e. whole batches in order, nothing torn.
        const present: number[] = [];
        for (let k = 0; k < LONG_NAMES; k++) {
          present.push((await recordsOf(server.base, auth.analyst, longName(k))).size);
        }
        const written = present.reduce((sum, count) => sum + count, 0);
        const whole = Math.floor(written / NAME_LINES);
        expect(present, `long ingest: ${present.join(",")}`).toEqual(
          present.map((_, k) => (k < whole ? NAME_LINES : k === whole ? written % NAME_LINES : 0)),
        );
        if (whole < LONG_NAMES && written % NAME_LINES > 0) {
          const partial = await recordsOf(server.base, auth.analyst, longName(whole));
          const expected = passiveDnsLines(longName(whole), written % NAME_LINES, whole * NAME_LINES)
            .trim()
            .split("\n")
            .map((line) => line.split("||")[6]);
          expect([...partial].sort()).toEqual(expected.sort());
        }
        // New writes are taken.
        const after = `after${round}.crash.example`;
        expect(
          (await postPassiveDns(server.base, auth.sensor, passiveDnsLines(after, SMALL_LINES))).status,
        ).toBe(200);
        expect((await recordsOf(server.base, auth.analyst, after)).size).toBe(SMALL_LINES);
        acknowledged.set(after, SMALL_LINES);
        expect(server.running(), server.problems()).toBe(true);

        const acked = small.filter((p) => p.status === 200).length;
        const moment = inTransaction ? "inside a write transaction" : `${delay} ms after the first commit`;
        report.push(`${moment}: ${acked} small ingests acknowledged, long ingest ${written} lines in`);
      }
      const records = [...acknowledged.values()].reduce((sum, count) => sum + count, 0);
      console.log(
        `lmdb crash/reopen: ${ROUNDS} SIGKILLs (${report.join("; ")}); ${acknowledged.size} acknowledged ` +
          `ingests, ${records} records, all found after reopening`,
      );
    },
    ROUNDS * 30_000,
  );
});
