/**
 * HTTP ingest as a sensor would use it (`curl -u probe:$TOKEN --data-binary @file`): the real samples
 * posted plain and gzip, the summary checked against the CLI's, the records then served by the query
 * APIs; size limits, encodings and who may name a sensor.
 */
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, backendAvailable } from "./helpers/backends.js";
import { basic, parseNdjsonStrict } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const SAMPLES = new URL("../../shared/samples/", import.meta.url);
const PASSIVEDNS = new URL("passivedns.txt", SAMPLES).pathname;
const JA3_JL = new URL("ja3-jl-with-ipv6.ndjson", SAMPLES).pathname;
const EVE = new URL("suricata-eve-tls.ndjson", SAMPLES).pathname;

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`HTTP ingest [${backend}]`, () => {
    let server: TestServer;
    const sensor = () => basic("probe", server.sensorToken);

    const post = async (path: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      const response = await fetch(`${server.base}${path}`, {
        method: "POST",
        headers: { authorization: sensor(), ...headers },
        body,
      });
      return { response, json: JSON.parse(await response.text()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      server = await startTestServer(backend, { ingestMaxBytes: "2000000" });
    }, 60_000);
    afterAll(() => server?.close());

    it("ingests the passivedns sample as the CLI does, under the sensor's name, and serves it", async () => {
      const { response, json } = await post("/ingest/passivedns", await readFile(PASSIVEDNS));
      expect(response.status).toBe(200);
      expect(json).toMatchObject({ lines: 216, records: 206, rcodes: 10, rejected: {}, firstRejects: [] });
      const query = await fetch(`${server.base}/pdns/query/www.example.lu`, {
        headers: { authorization: basic("alice", server.analystToken) },
      });
      expect(parseNdjsonStrict(await query.text()).length).toBeGreaterThan(0);
      const info = await fetch(`${server.base}/info`, {
        headers: { authorization: basic("alice", server.analystToken) },
      });
      expect(((await info.json()) as { sensors: unknown[] }).sensors).toContainEqual({
        sensor_id: "probe",
        count: 216,
      });
    });

    it("reads a gzip body, with or without Content-Encoding, and counts bad lines with their numbers", async () => {
      const text = "1700000000.1||10.0.0.1||10.0.0.2||IN||gz.example.||A||192.0.2.77||60||1\nnot a line\n";
      for (const headers of [{ "content-encoding": "gzip" }, {}] as Record<string, string>[]) {
        const { response, json } = await post("/ingest/passivedns", gzipSync(text), headers);
        expect(response.status).toBe(200);
        expect(json).toMatchObject({ lines: 2, records: 1 });
        expect(json.firstRejects).toEqual([expect.objectContaining({ line: 2 })]);
      }
      const broken = await post("/ingest/passivedns", Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]), {
        "content-encoding": "gzip",
      });
      expect(broken.response.status).toBe(400);
      expect(broken.json.message as string).toMatch(/not valid gzip/);
      const other = await post("/ingest/passivedns", "x", { "content-encoding": "br" });
      expect(other.response.status).toBe(415);
    });

    it("ingests ja3-jl and EVE sessions and serves their certificates", async () => {
      for (const [format, file] of [
        ["ja3-jl", JA3_JL],
        ["eve", EVE],
      ] as const) {
        const { response, json } = await post(`/ingest/${format}`, await readFile(file));
        expect(response.status).toBe(200);
        expect(json).toMatchObject({ lines: 58, sessions: 58, skipped: 0, rejected: {} });
      }
      const seen = await fetch(`${server.base}/v2pssl/query/127.0.0.1`, {
        headers: { authorization: basic("alice", server.analystToken) },
      });
      expect(Object.keys((await seen.json()) as object).length).toBeGreaterThan(0);
    });

    it("refuses a body over the maximum, by Content-Length or while streaming", async () => {
      const big = Buffer.alloc(2_100_000, "a");
      const declared = await post("/ingest/passivedns", big);
      expect(declared.response.status).toBe(413);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 30; i++) controller.enqueue(new Uint8Array(100_000).fill(0x0a));
          controller.close();
        },
      });
      const streamed = await fetch(`${server.base}/ingest/passivedns`, {
        method: "POST",
        headers: { authorization: sensor() },
        body: stream,
        duplex: "half",
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(((await streamed.json()) as { code: string }).code).toBe("too_large");
    });

    it("lets only an admin name another sensor", async () => {
      const line = "1700000000.1||10.0.0.1||10.0.0.2||IN||named.example.||A||192.0.2.78||60||1\n";
      const asSensor = await post("/ingest/passivedns", line, { "x-sensor-id": "elsewhere" });
      expect(asSensor.response.status).toBe(403);
      const asAdmin = await fetch(`${server.base}/ingest/passivedns`, {
        method: "POST",
        headers: { authorization: basic("root", server.adminToken), "x-sensor-id": "elsewhere" },
        body: line,
      });
      expect(asAdmin.status).toBe(200);
      const info = await fetch(`${server.base}/info`, {
        headers: { authorization: basic("alice", server.analystToken) },
      });
      expect(((await info.json()) as { sensors: unknown[] }).sensors).toContainEqual({
        sensor_id: "elsewhere",
        count: 1,
      });
    });
  });
}
