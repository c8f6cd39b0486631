/**
 * The one end-to-end property, on every backend: lines whose names (owners and CNAME targets) are full
 * of key-injection characters, ingested next to a known good line through the live-source path
 * (`ingestLines`), never disturb the good record, and nothing is stored under a name the parser
 * refused or under any spelling other than the normalised one.
 */
import { expect, it } from "vitest";
import { normalizeName } from "../../src/dns/name.js";
import { ingestLines } from "../../src/ingest/ingest-lines.js";
import { createPassiveDnsParser, DEFAULT_LAYOUT } from "../../src/ingest/passivedns-parser.js";
import { decodeObservation, encodeRdata, sortKeyOf } from "../../src/pdns/record-codec.js";
import { describeEachBackend } from "../helpers/backends.js";
import {
  fc,
  hasLoneSurrogate,
  hostLabel,
  INJECTION_PIECES,
  lowerAscii,
  runs,
  timeout,
  withoutTrailingDot,
} from "./fuzz.js";

const TIME = 1_700_000_000;
/** Text lines cannot carry their own delimiter inside a name: leave `|` out (the parser tests cover it). */
const pieces = INJECTION_PIECES.filter((p) => !p.includes("|"));
const label = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(hostLabel, fc.constantFrom(...pieces)), { minLength: 1, maxLength: 4 })
      .map((p) => p.join("")),
  },
  { weight: 1, arbitrary: fc.integer({ min: 62, max: 66 }).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom("*", "{meta}", "}{", "%00", "a:o:{b}", "\\000", "\\.") },
);
/** Labels to put before a run's domain: nasty ones, sometimes padded to names near and over 255 octets. */
const nastyPrefix = fc
  .tuple(
    fc.array(label, { minLength: 1, maxLength: 3 }),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
    fc.boolean(),
  )
  .map(([labels, padding, dot]) => ({
    labels: [...labels, ...Array.from({ length: padding }, () => "p".repeat(50))],
    dot,
  }));
type Prefix = { labels: string[]; dot: boolean };
const under = (prefix: Prefix, domain: string) =>
  `${prefix.labels.join(".")}.${domain}${prefix.dot ? "." : ""}`;

/** Whether `name` is strictly under `domain` label by label (`\.r1.fuzz.test` is one label `.r1`, then fuzz.test). */
function isUnder(name: string, domain: string): boolean {
  if (!name.endsWith(`.${domain}`)) return false;
  const slashes = /\\*$/.exec(name.slice(0, -domain.length - 1))?.[0].length ?? 0;
  return slashes % 2 === 0;
}

async function all<T>(chunks: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of chunks) out.push(...chunk);
  return out;
}

/** The spellings a refused or un-normalised name could have been stored under. */
function spellings(name: string): string[] {
  const forms = new Set<string>();
  for (const base of [name, Buffer.from(name, "utf8").toString("utf8")]) {
    for (const form of [
      base,
      withoutTrailingDot(base),
      lowerAscii(base),
      lowerAscii(withoutTrailingDot(base)),
    ]) {
      if (form !== "") forms.add(form);
    }
  }
  return [...forms];
}

let run = 0;

describeEachBackend("fuzz: key-injection names through ingest", ({ store }) => {
  it(
    "keeps the good record unchanged and stores nothing under a refused name or an unnormalised spelling",
    async () => {
      const parse = createPassiveDnsParser(DEFAULT_LAYOUT);
      const sensor = ((await store().sensorNumbers(["s1"])).get("s1") ?? -1) as number;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.constantFrom("A", "TXT", "CNAME"), nastyPrefix, fc.nat()), {
            minLength: 1,
            maxLength: 6,
          }),
          fc.nat(),
          async (entries, goodAt) => {
            run++;
            // Every run has a domain of its own in the shared store.
            const domain = `r${run}.fuzz.test`;
            const good = `good.${domain}`;
            const goodLine = `${TIME}.000001||10.0.0.1||10.0.0.2||IN||GOOD.${domain}.||A||192.0.2.${run % 256}||60||7`;
            const lines: string[] = [];
            const owners: string[] = [];
            const targets: string[] = [];
            entries.forEach(([kind, prefix, k], i) => {
              const name = under(prefix, domain);
              if (kind === "CNAME") {
                targets.push(name);
                lines.push(`${TIME}.000002||10.0.0.1||10.0.0.2||IN||c${i}.${domain}.||CNAME||${name}||60||1`);
              } else {
                owners.push(name);
                const answer = kind === "A" ? `198.51.100.${k % 256}` : `"${name}"`;
                lines.push(`${TIME}.000003||10.0.0.1||10.0.0.2||IN||${name}||${kind}||${answer}||60||1`);
              }
            });
            lines.splice(goodAt % (lines.length + 1), 0, goodLine);

            // The oracle: what the ingest path sees (UTF-8 text split on newlines), parsed alone.
            const seen = Buffer.from(`${lines.join("\n")}\n`, "utf8")
              .toString("utf8")
              .split("\n")
              .slice(0, -1);
            const accepted = seen
              .map((line) => parse(line.endsWith("\r") ? line.slice(0, -1) : line))
              .filter((r) => r.kind === "record");
            await ingestLines(store(), lines, "passivedns", "s1");

            // The good record, exactly.
            const goodRecords = await all(store().scanOwner(good, {}, 100));
            const goodKey = sortKeyOf(good, 1, `192.0.2.${run % 256}`);
            expect(goodRecords.map((r) => r.sortKey.toString("hex"))).toEqual([goodKey.toString("hex")]);
            const { obs, payload } = decodeObservation(goodRecords[0]?.value ?? Buffer.alloc(15));
            expect(obs).toEqual({ timeFirst: TIME, timeLast: TIME, count: 7, sensors: [sensor] });
            expect(payload.equals(encodeRdata(1, `192.0.2.${run % 256}`))).toBe(true);

            // Every name stored under the run's domain is one the parser accepted, and every accepted
            // record is there under its normalised name.
            const acceptedNames = new Set(accepted.map((r) => r.rrname));
            const stored = await all(store().scanNames("owners", { kind: "under", domain }, undefined, 100));
            expect(new Set(stored)).toEqual(new Set([...acceptedNames].filter((n) => isUnder(n, domain))));
            for (const record of accepted) {
              const values = await all(store().scanOwner(record.rrname, {}, 100));
              const key = sortKeyOf(record.rrname, record.rrtype, record.rdata).toString("hex");
              expect(values.map((v) => v.sortKey.toString("hex"))).toContain(key);
            }

            // Nothing under a refused name or another spelling of an accepted one.
            for (const name of owners) {
              for (const form of spellings(name)) {
                if (acceptedNames.has(form) || hasLoneSurrogate(form)) continue;
                expect(
                  await all(store().scanOwner(form, {}, 100)),
                  `records under ${JSON.stringify(form)}`,
                ).toEqual([]);
              }
            }
            // A refused CNAME target: no index entry under any spelling, and its line left no record.
            const acceptedTargets = new Set(accepted.filter((r) => r.rrtype === 5).map((r) => r.rdata));
            for (const target of targets) {
              for (const form of spellings(target)) {
                if (acceptedTargets.has(form) || hasLoneSurrogate(form)) continue;
                expect(
                  await all(store().scanIndex({ kind: "name", name: form }, {}, 100)),
                  `index under ${JSON.stringify(form)}`,
                ).toEqual([]);
              }
            }
            for (const target of acceptedTargets) {
              expect(normalizeName(target)).toBe(target);
              const entries = await all(store().scanIndex({ kind: "name", name: target }, {}, 100));
              expect(entries.length).toBeGreaterThan(0);
            }
          },
        ),
        runs(0.25),
      );
    },
    timeout(2),
  );
});
