/**
 * Properties of the passivedns parser (text layouts and JSON), alone and behind the line reader. The
 * oracle is a model of a sensor line: the generator knows the record each line must give.
 */
import { describe, expect, it } from "vitest";
import { parseIp } from "../../src/dns/ip.js";
import { textLines } from "../../src/ingest/line-reader.js";
import {
  createPassiveDnsParser,
  DEFAULT_LAYOUT,
  type FieldName,
  type ParsedLine,
  type PassiveDnsLayout,
  parseFieldLetters,
} from "../../src/ingest/passivedns-parser.js";
import {
  chunked,
  fc,
  injectionPiece,
  ipSample,
  ipv4Sample,
  ipv6Sample,
  junkLine,
  lowerAscii,
  mutated,
  nastyName,
  runs,
  splitAt,
  timed,
  timeout,
  utf16Unit,
  withoutTrailingDot,
} from "./fuzz.js";
import { expectWellFormed } from "./invariants.js";

// ---------------------------------------------------------------------------------------------------
// The model of a valid line.

/** A presentation name and the canonical form it must give. */
interface NameSample {
  text: string;
  canonical: string;
}

const canonicalLabel = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "zürich",
      "日本",
      "xn--zrich-kva",
      "_tcp",
      "_sip",
      "*",
      "a\\.b",
      "x\\\\y",
      "\\065bc",
      "\\032",
    ),
  },
  { weight: 1, arbitrary: fc.constant("a".repeat(63)) },
);

/** Octets of a presentation label in wire form (`\DDD` and `\X` are one octet each, then UTF-8). */
const labelOctets = (label: string) =>
  Buffer.byteLength(label.replace(/\\[0-9]{3}/g, "x").replace(/\\(.)/gu, "$1"), "utf8");

const nameSample: fc.Arbitrary<NameSample> = fc
  .tuple(fc.array(canonicalLabel, { minLength: 1, maxLength: 4 }), fc.boolean())
  .filter(([labels]) => labels.reduce((sum, label) => sum + 1 + labelOctets(label), 1) <= 255)
  .chain(([labels, dot]) => {
    const canonical = labels.join(".");
    // Only ASCII letters fold: DNS compares other characters byte for byte.
    const toggleCase = (c: string) => (/^[a-z]$/.test(c) ? c.toUpperCase() : c);
    return fc
      .mixedCase(fc.constant(canonical), { toggleCase })
      .map((text) => ({ text: dot ? `${text}.` : text, canonical }));
  });

interface Answer {
  type: string;
  answer: string;
  rrtype: number;
  /** The rdata of a record, or the rcode of an error line. */
  rdata?: string;
  rcode?: number;
}

const txtContent = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom(..."abcXYZ 019|;,:{}*%'é日=") }) },
      { weight: 1, arbitrary: fc.constantFrom('\\"', "\\\\", "\\012", "||", "|", " || ") },
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(""));

/** Any answer text of a type kept as text: no newline, trimmed, not an rcode name. */
const genericText = fc
  .tuple(
    fc.constantFrom(...'abc019"\\('),
    fc.string({ unit: fc.constantFrom(...'aZ09 .-|;,:{}*%\\"()=/+日é') }),
  )
  .map(([first, rest]) => `${first}${rest}`.trim());

const answerSample: fc.Arbitrary<Answer> = fc.oneof(
  ipv4Sample.map((ip) => ({ type: "A", answer: ip.text, rrtype: 1, rdata: ip.text })),
  ipv6Sample.map((ip) => ({
    type: "AAAA",
    answer: ip.text,
    rrtype: 28,
    rdata: parseIp(ip.text)?.text ?? "?",
  })),
  fc
    .tuple(
      fc.constantFrom(["CNAME", 5], ["NS", 2], ["PTR", 12], ["DNAME", 39], ["MX", 15], ["SRV", 33]),
      nameSample,
    )
    .map(([[type, rrtype], name]) => ({ type, answer: name.text, rrtype, rdata: name.canonical })),
  fc
    .tuple(fc.constantFrom(["TXT", 16], ["SPF", 99], ["txt", 16]), txtContent)
    .map(([[type, rrtype], text]) => ({ type, answer: `"${text}"`, rrtype, rdata: text })),
  fc
    .tuple(
      fc.constantFrom(["HINFO", 13], ["NAPTR", 35], ["65280", 65280], ["TYPE65534", 65534], ["SSHFP", 44]),
      genericText,
    )
    .filter(([, text]) => text.length > 0)
    .map(([[type, rrtype], text]) => ({ type, answer: text, rrtype, rdata: text })),
  fc
    .constantFrom(["NXDOMAIN", 3], ["SERVFAIL", 2], ["REFUSED", 5], ["UNKNOWN-ERROR-17", 17])
    .chain(([answer, rcode]) =>
      fc
        .constantFrom(["A", 1], ["AAAA", 28], ["MX", 15])
        .map(([type, rrtype]) => ({ type, answer, rrtype, rcode })),
    ),
);

interface LineModel {
  seconds: number;
  usec: number;
  client: string;
  server: string;
  cls: string;
  query: NameSample;
  answer: Answer;
  ttl: number;
  count: number;
}

const lineModel: fc.Arbitrary<LineModel> = fc.record({
  seconds: fc.integer({ min: 0, max: 0xffffffff }),
  usec: fc.integer({ min: 0, max: 999_999 }),
  client: ipSample.map((ip) => ip.text),
  server: ipSample.map((ip) => ip.text),
  cls: fc.constantFrom("IN", "IN", "in", "1", "CLASS1"),
  query: nameSample,
  answer: answerSample,
  ttl: fc.integer({ min: 0, max: 0xffffffff }),
  count: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
});

/** The value a column prints for a model line. */
function column(m: LineModel, field: FieldName, ignored: string): string {
  switch (field) {
    case "time":
      return `${m.seconds}.${String(m.usec).padStart(6, "0")}`;
    case "client":
      return m.client;
    case "server":
      return m.server;
    case "class":
      return m.cls;
    case "query":
      return m.query.text;
    case "type":
      return m.answer.type;
    case "answer":
      return m.answer.answer;
    case "ttl":
      return String(m.answer.rcode === undefined ? m.ttl : 0);
    case "count":
      return String(m.answer.rcode === undefined ? m.count : 1);
    case "ignore":
      return ignored;
  }
}

function textLine(m: LineModel, layout: PassiveDnsLayout = DEFAULT_LAYOUT, ignored = "x"): string {
  return layout.fields.map((field) => column(m, field, ignored)).join(layout.delimiter);
}

/** What a model line must parse to (with a count column; `hasCount` false: count 1). */
function expected(m: LineModel, hasCount = true): ParsedLine {
  const time = m.seconds;
  const count = m.answer.rcode === undefined && hasCount ? m.count : 1;
  if (m.answer.rcode !== undefined) {
    return {
      kind: "rcode",
      rrname: m.query.canonical,
      qtype: m.answer.rrtype,
      rcode: m.answer.rcode,
      time,
      count,
    };
  }
  return {
    kind: "record",
    rrname: m.query.canonical,
    rrtype: m.answer.rrtype,
    rdata: m.answer.rdata ?? "",
    time,
    count,
  };
}

const parseText = createPassiveDnsParser(DEFAULT_LAYOUT);
const parseJson = createPassiveDnsParser({ ...DEFAULT_LAYOUT, format: "json" });
const parsePipe = createPassiveDnsParser({ ...DEFAULT_LAYOUT, delimiter: "|" });

function jsonLine(m: LineModel, extra: Record<string, unknown>, order: readonly number[]): string {
  const fields: Array<[string, unknown]> = [
    ["timestamp_s", m.seconds],
    ["timestamp_ms", m.usec],
    ["client", m.client],
    ["server", m.server],
    ["class", m.cls],
    ["query", m.query.text],
    ["type", m.answer.type],
    ["answer", m.answer.answer],
    ["ttl", m.answer.rcode === undefined ? m.ttl : 0],
    ["count", m.answer.rcode === undefined ? m.count : 1],
  ];
  const shuffled = fields.map((f, k) => [order[k] ?? k, f] as const).sort((a, b) => a[0] - b[0]);
  const object: Record<string, unknown> = { ...extra };
  for (const [, [key, value]] of shuffled) object[key] = value;
  return JSON.stringify(object);
}

const parseAll = (parse: (line: string) => ParsedLine, line: string) => timed("parse", () => parse(line));

describe("passivedns parser: properties", () => {
  it(
    "never throws on any text, and every result keeps its invariants (a reject carries its reason)",
    () => {
      const input = fc.oneof(
        junkLine,
        mutated(lineModel.map((m) => textLine(m))),
        fc.string({ unit: utf16Unit, maxLength: 400 }),
      );
      fc.assert(
        fc.property(input, (line) => {
          for (const parse of [parseText, parsePipe]) expectWellFormed(parseAll(parse, line), line);
          expectWellFormed(parseAll(parseJson, line));
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "parses a model line to exactly the record the model says, in text, with `|`, and as JSON",
    () => {
      const extra = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      const order = fc.array(fc.nat(), { minLength: 10, maxLength: 10 });
      fc.assert(
        fc.property(lineModel, extra, order, (m, more, keys) => {
          const want = expected(m);
          expect(parseAll(parseText, textLine(m))).toEqual(want);
          expect(parseAll(parseText, `${textLine(m)}\r`)).toEqual(want);
          if (!m.answer.answer.includes("|")) {
            expect(parseAll(parsePipe, textLine(m, { ...DEFAULT_LAYOUT, delimiter: "|" }))).toEqual(want);
          }
          expect(parseAll(parseJson, jsonLine(m, more, keys))).toEqual(want);
        }),
        runs(8),
      );
    },
    timeout(8),
  );

  it(
    "parses a model line the same in any -f layout and with any delimiter",
    () => {
      const letters = fc
        .subarray([..."McwsWpCLltnh"])
        .map((chosen) => ["S", "Q", "T", "A", ...chosen].join(""));
      const delimiter = fc.constantFrom("||", "|", "\t", ",", ";", " | ", "@@");
      fc.assert(
        fc.property(
          lineModel,
          letters,
          delimiter,
          fc.constantFrom("host-1", "aa:bb:cc:dd:ee:ff", "17", ""),
          (m, f, d, ignored) => {
            const layout: PassiveDnsLayout = { format: "text", delimiter: d, fields: parseFieldLetters(f) };
            const parse = createPassiveDnsParser(layout);
            const result = parseAll(parse, textLine(m, layout, ignored));
            const want = expected(m, layout.fields.includes("count"));
            expect(result).toEqual(want);
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "any -f letters and layout: a parser that never throws, or the documented Error naming the problem",
    () => {
      const field = fc.constantFrom<FieldName>(
        "time",
        "client",
        "server",
        "class",
        "query",
        "type",
        "answer",
        "ttl",
        "count",
        "ignore",
      );
      const layout = fc.oneof(
        fc
          .string({ unit: fc.constantFrom(..."HSMhcwsWpCQLTAltnXx "), maxLength: 20 })
          .map((letters) => ({ letters })),
        fc.record({
          format: fc.constantFrom("text", "json") as fc.Arbitrary<"text" | "json">,
          delimiter: fc.oneof(fc.constantFrom("", "||", "|", "\t", "\n"), fc.string({ maxLength: 3 })),
          fields: fc.array(field, { maxLength: 12 }),
        }),
      );
      fc.assert(
        fc.property(layout, fc.array(junkLine, { maxLength: 5 }), (l, lines) => {
          let parse: (line: string) => ParsedLine;
          try {
            parse = createPassiveDnsParser(
              "letters" in l ? { ...DEFAULT_LAYOUT, fields: parseFieldLetters(l.letters) } : l,
            );
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
            expect((error as Error).message).toMatch(/passivedns/);
            return;
          }
          for (const line of lines) expectWellFormed(parseAll(parse, line), line);
        }),
        runs(3),
      );
    },
    timeout(3),
  );

  it(
    "keeps an answer that holds the delimiter whole (a TXT with `||`, an answer ending with `|`)",
    () => {
      fc.assert(
        fc.property(lineModel, fc.constantFrom("||", "|", "|||", "a|", "|a", " ||| "), (m, piece) => {
          const content = `${m.answer.rdata ?? "x"}${piece}`;
          const txt: LineModel = {
            ...m,
            answer: { type: "TXT", answer: `"${content}"`, rrtype: 16, rdata: content },
          };
          expect(parseAll(parseText, textLine(txt))).toEqual(expected(txt));
          const text = `x${content}`.trim();
          const generic: LineModel = {
            ...m,
            answer: { type: "TYPE65280", answer: text, rrtype: 65280, rdata: text },
          };
          expect(parseAll(parseText, textLine(generic))).toEqual(expected(generic));
        }),
        runs(3),
      );
    },
    timeout(3),
  );

  it(
    "a valid line among junk lines parses exactly as alone (one parser, shared state)",
    () => {
      const parser = () => createPassiveDnsParser(DEFAULT_LAYOUT);
      fc.assert(
        fc.property(
          fc.array(junkLine, { maxLength: 6 }),
          lineModel,
          fc.array(junkLine, { maxLength: 6 }),
          (before, m, after) => {
            const line = textLine(m);
            const alone = parser()(line);
            const shared = parser();
            for (const junk of before) expectWellFormed(shared(junk), junk);
            expect(parseAll(shared, line)).toEqual(alone);
            for (const junk of after) expectWellFormed(shared(junk), junk);
            expect(parseAll(shared, line)).toEqual(alone);
            expect(alone).toEqual(expected(m));
          },
        ),
        runs(5),
      );
    },
    timeout(5),
  );

  it(
    "a valid line among junk lines (invalid UTF-8, CR, NUL, overlong) parses exactly as alone through the line reader, in any chunks",
    async () => {
      const junkBytes = fc.oneof(
        junkLine.map((s) => Buffer.from(s, "utf8")),
        fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b.filter((x) => x !== 10))),
        fc.constantFrom(
          Buffer.from([0xff, 0xfe]),
          Buffer.from([0xc3]),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from("\r"),
        ),
        fc.integer({ min: 300, max: 2000 }).map((n) => Buffer.alloc(n, 0x7c)),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(junkBytes, { maxLength: 5 }),
          lineModel,
          fc.array(junkBytes, { maxLength: 5 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          fc.boolean(),
          fc.constantFrom("\n", "\r\n"),
          async (before, m, after, cuts, finalNewline, eol) => {
            const line = textLine(m);
            const lines = [...before, Buffer.from(line, "utf8"), ...after];
            // An empty last line without a newline is no line at all.
            if (lines.at(-1)?.length === 0) finalNewline = true;
            const bytes = Buffer.concat(
              lines.flatMap((b, k) => (k < lines.length - 1 || finalNewline ? [b, Buffer.from(eol)] : [b])),
            );
            const parse = createPassiveDnsParser(DEFAULT_LAYOUT);
            const results: ParsedLine[] = [];
            const counter = { bytes: 0 };
            for await (const batch of textLines(
              chunked(splitAt(bytes, cuts)),
              { maxLineBytes: 256 + line.length * 3 },
              counter,
            )) {
              for (const text of batch) {
                results.push(
                  typeof text === "string"
                    ? parse(text)
                    : { kind: "reject", reason: text.reason, detail: text.detail },
                );
              }
            }
            expect(counter.bytes).toBe(bytes.length);
            expect(results).toHaveLength(lines.length);
            for (const result of results) expectWellFormed(result);
            expect(results[before.length]).toEqual(expected(m));
          },
        ),
        runs(3),
      );
    },
    timeout(3),
  );

  it(
    "a query name with key-injection characters is rejected with a reason or kept exactly (ASCII case and one trailing dot aside)",
    () => {
      fc.assert(
        fc.property(lineModel, nastyName, fc.boolean(), (m, query, json) => {
          const model: LineModel = { ...m, query: { text: query, canonical: "" } };
          const result = json
            ? parseAll(parseJson, jsonLine(model, {}, []))
            : parseAll(parseText, textLine(model));
          expectWellFormed(result);
          // A text line cannot carry a name holding its delimiter: such a name shifts the columns.
          if (!json && query.includes("||")) return;
          if (result.kind === "record" || result.kind === "rcode") {
            expect(result.rrname).toBe(lowerAscii(withoutTrailingDot(query)));
          } else {
            expect(result.kind).toBe("reject");
          }
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "rejects control characters, CR LF, NUL and lone surrogates anywhere in a name (text and JSON), with bad_name",
    () => {
      const bad = fc.constantFrom("\r\n", "\r", "\n", "\u0000", "\t", " ", "\u007f", "\ud800", "\udfff");
      fc.assert(
        fc.property(lineModel, bad, fc.nat(), (m, piece, at) => {
          const text = m.query.text;
          const i = at % (text.length + 1);
          const query = text.slice(0, i) + piece + text.slice(i);
          const model: LineModel = { ...m, query: { text: query, canonical: "" } };
          for (const result of [parseText(textLine(model)), parseJson(jsonLine(model, {}, []))]) {
            expect(result).toMatchObject({ kind: "reject", reason: "bad_name" });
          }
        }),
        runs(3),
      );
    },
    timeout(3),
  );

  it(
    "rejects labels over 63 octets and names over 255 octets, keeps 63 and 253",
    () => {
      fc.assert(
        fc.property(
          lineModel,
          fc.integer({ min: 1, max: 80 }),
          fc.integer({ min: 1, max: 4 }),
          (m, size, labels) => {
            const label = "b".repeat(size);
            const query = Array.from({ length: labels }, () => label).join(".");
            const model: LineModel = { ...m, query: { text: `${query}.`, canonical: query } };
            const wire = labels * (size + 1) + 1;
            const result = parseText(textLine(model));
            if (size > 63 || wire > 255) expect(result).toMatchObject({ kind: "reject", reason: "bad_name" });
            else expect(result).toEqual(expected(model));
          },
        ),
        runs(2),
      );
    },
    timeout(2),
  );

  it(
    "parses any JSON value without throwing, with lone surrogates and big numbers",
    () => {
      const value = fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        lineModel.chain((m) =>
          fc.record({
            timestamp_s: fc.oneof(fc.constant(m.seconds), fc.double(), fc.constant(2 ** 53), fc.string()),
            timestamp_ms: fc.oneof(fc.constant(m.usec), fc.integer(), fc.constant(null)),
            client: fc.oneof(fc.constant(m.client), fc.string({ unit: utf16Unit })),
            server: fc.constant(m.server),
            class: fc.oneof(fc.constant(m.cls), fc.string(), fc.constant(1)),
            query: fc.oneof(fc.constant(m.query.text), fc.string({ unit: utf16Unit }), nastyName),
            type: fc.oneof(fc.constant(m.answer.type), fc.string(), fc.integer()),
            answer: fc.oneof(fc.constant(m.answer.answer), fc.string({ unit: utf16Unit })),
            ttl: fc.oneof(fc.constant(m.ttl), fc.double(), fc.bigInt().map(String)),
            count: fc.oneof(fc.constant(m.count), fc.integer(), fc.constant(0), fc.constant(2 ** 60)),
          }),
        ),
      );
      fc.assert(
        fc.property(value, (v) => {
          const result = parseAll(parseJson, JSON.stringify(v) ?? "null");
          expectWellFormed(result);
        }),
        runs(10),
      );
    },
    timeout(10),
  );

  it(
    "stays fast on long adversarial lines (no super-linear path)",
    () => {
      const piece = fc.constantFrom(
        "||",
        "|",
        "\\",
        '"',
        "{",
        "[",
        "\\\\\\",
        "a.",
        "1.",
        "::",
        "\\0",
        "||IN||",
      );
      fc.assert(
        fc.property(piece, fc.integer({ min: 1_000, max: 40_000 }), injectionPiece, (p, n, tail) => {
          const line = p.repeat(n) + tail;
          for (const parse of [parseText, parsePipe])
            expectWellFormed(
              timed("long line", () => parse(line), 250),
              line,
            );
          expectWellFormed(timed("long JSON line", () => parseJson(line), 250));
        }),
        runs(0.3),
      );
    },
    timeout(1),
  );
});
