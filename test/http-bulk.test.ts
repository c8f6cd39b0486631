/** `POST /pdns/bulk` over real HTTP, as a script would use it: a JSON array or NDJSON in, NDJSON out. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable } from "./helpers/backends.js";
import { assertCofRecord, basic, parseNdjsonStrict } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

interface Line {
  query: string;
  summary?: { records: number; limited: boolean; cursor?: string; error?: string };
  rrname?: string;
  rrtype?: string;
  rdata?: string;
}

function corpus(): string {
  const lines: string[] = [];
  for (let i = 0; i < 20; i++) {
    lines.push(`1700000000.000001||10.0.0.1||10.0.0.2||IN||host${i}.bulk.example.||A||192.0.2.${i}||60||1`);
  }
  lines.push("1700000000.000001||10.0.0.1||10.0.0.2||IN||host0.bulk.example.||AAAA||2001:db8::1||60||1");
  lines.push("1000.000001||10.0.0.1||10.0.0.2||IN||old.bulk.example.||A||192.0.2.200||60||1");
  return `${lines.join("\n")}\n`;
}

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`POST /pdns/bulk [${backend}]`, () => {
    let server: TestServer;

    const post = async (body: string, token?: string) => {
      const response = await fetch(`${server.base}/pdns/bulk`, {
        method: "POST",
        headers: { authorization: token ?? basic("alice", server.analystToken) },
        body,
      });
      return { response, text: await response.text() };
    };

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.ingestPassiveDns(corpus());
    }, 60_000);
    afterAll(() => server?.close());

    it("answers each value's records tagged with it, then its summary, in the order given", async () => {
      const { response, text } = await post(
        JSON.stringify(["host1.bulk.example", "192.0.2.2", "nothing.example", "host0.bulk.example"]),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-ndjson");
      const lines = parseNdjsonStrict(text) as unknown as Line[];
      expect(
        lines.map((l) => (l.summary ? `summary ${l.query} ${l.summary.records}` : `${l.query} ${l.rdata}`)),
      ).toEqual([
        "host1.bulk.example 192.0.2.1",
        "summary host1.bulk.example 1",
        "192.0.2.2 192.0.2.2",
        "summary 192.0.2.2 1",
        "summary nothing.example 0",
        "host0.bulk.example 192.0.2.0",
        "host0.bulk.example 2001:db8::1",
        "summary host0.bulk.example 2",
      ]);
      for (const line of lines.filter((l) => !l.summary)) {
        const { query, ...record } = line;
        expect(typeof query).toBe("string");
        assertCofRecord(record);
      }
    });

    it("takes NDJSON items with filters and limits, and reports a bad value in its summary only", async () => {
      const body = [
        JSON.stringify({ value: "*.bulk.example", limit: 5 }),
        JSON.stringify({ value: "host0.bulk.example", rrtype: "AAAA" }),
        JSON.stringify({ value: "*.bulk.example", time_last_before: 2000 }),
        JSON.stringify("not a name!"),
        JSON.stringify({ value: "10.0.0.0/8" }),
      ].join("\n");
      const { response, text } = await post(body);
      expect(response.status).toBe(200);
      const summaries = (parseNdjsonStrict(text) as unknown as Line[])
        .filter((l) => l.summary)
        .map((l) => l.summary);
      expect(summaries[0]).toMatchObject({ records: 5, limited: true });
      expect(summaries[0]?.cursor).toMatch(/^[1-9][0-9]*$/);
      expect(summaries[1]).toEqual({ records: 1, limited: false });
      expect(summaries[2]).toEqual({ records: 1, limited: false });
      expect(summaries[3]?.error).toMatch(/not a domain name/);
      expect(summaries[4]?.error).toMatch(/at most \/16/);
      // The cursor of a limited value continues on the CIRCL route.
      const rest = await fetch(`${server.base}/pdns/query/*.bulk.example`, {
        headers: {
          authorization: basic("alice", server.analystToken),
          "dribble-paginate-count": "100",
          "dribble-paginate-cursor": summaries[0]?.cursor as string,
        },
      });
      expect(parseNdjsonStrict(await rest.text())).toHaveLength(22 - 5);
    });

    it("refuses bodies it cannot read, too many values, and values beyond the quota", async () => {
      for (const bad of [
        "",
        "[1, 2",
        "{not json}\n",
        JSON.stringify([{ value: "x", extra: 1 }]),
        JSON.stringify([42]),
      ]) {
        const { response, text } = await post(bad);
        expect(response.status, bad).toBe(400);
        expect(JSON.parse(text)).toMatchObject({ code: "bad_request" });
      }
      const tooMany = await post(JSON.stringify(Array.from({ length: 10_001 }, (_, i) => `h${i}.example`)));
      expect(tooMany.response.status).toBe(400);
      expect(JSON.parse(tooMany.text).message).toMatch(/at most 10000 values/);

      const admin = basic("root", server.adminToken);
      const created = await fetch(`${server.base}/admin/users`, {
        method: "POST",
        headers: { authorization: admin },
        body: JSON.stringify({ name: "bulky", role: "analyst" }),
      });
      expect(created.status).toBe(201);
      await fetch(`${server.base}/admin/users/bulky/quota`, {
        method: "PUT",
        headers: { authorization: admin },
        body: JSON.stringify({ daily: 5 }),
      });
      const token = (await (
        await fetch(`${server.base}/admin/users/bulky/tokens`, {
          method: "POST",
          headers: { authorization: admin },
        })
      ).json()) as { token: string };
      const bulky = basic("bulky", token.token);
      expect(
        (await post(JSON.stringify(["a.example", "b.example", "c.example"]), bulky)).response.status,
      ).toBe(200);
      const over = await post(JSON.stringify(["a.example", "b.example", "c.example"]), bulky);
      expect(over.response.status).toBe(429);
      expect(over.response.headers.get("retry-after")).toMatch(/^[0-9]+$/);
      expect((await post(JSON.stringify(["a.example"]), bulky)).response.status).toBe(200);
    });
  });
}
