/**
 * What is particular to a Redis Cluster store (REDIS_CLUSTER_URL): cluster URLs and their messages, key
 * slots as the cluster computes them, indexes spread over every master, and names whose hash slot
 * ioredis gets wrong. The store contract and the HTTP suites run on the cluster too (helpers/backends.ts).
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { ObservationBatch, type RecordLine, SensorNumberCache } from "../src/pdns/observation-batch.js";
import { sortKeyOf } from "../src/pdns/record-codec.js";
import { openStore } from "../src/store/open-store.js";
import { redisKeys, slotOf } from "../src/store/redis-keys.js";
import { openRedisStore, parseClusterUrl, withoutPassword } from "../src/store/redis-store.js";
import type { Store } from "../src/store/types.js";
import {
  clusterClient,
  deleteRedisPrefix,
  REDIS_CLUSTER_URL,
  redisClusterReachable,
  uniquePrefix,
} from "./helpers/backends.js";
import { freePort } from "./helpers/redis-server.js";

const A = 1;
const AAAA = 28;
const CNAME = 5;

async function ingest(store: Store, lines: RecordLine[]) {
  const batch = new ObservationBatch();
  for (const line of lines) {
    batch.countLine("s1");
    batch.addRecord(line, "s1");
  }
  return store.write(await batch.drain(new SensorNumberCache((ids) => store.sensorNumbers(ids))));
}

const line = (rrname: string, rrtype: number, rdata: string): RecordLine => ({
  rrname,
  rrtype,
  rdata,
  time: 1_700_000_000,
  count: 1,
});

describe("redis+cluster:// URLs", () => {
  it("parses nodes, credentials and TLS", () => {
    expect(parseClusterUrl("redis+cluster://127.0.0.1:7000,127.0.0.1:7001,[::1]:7002,cache")).toEqual({
      nodes: [
        { host: "127.0.0.1", port: 7000 },
        { host: "127.0.0.1", port: 7001 },
        { host: "::1", port: 7002 },
        { host: "cache", port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseClusterUrl("rediss+cluster://app:p%40ss:w@rd@h1:6380,h2:6380/")).toEqual({
      nodes: [
        { host: "h1", port: 6380 },
        { host: "h2", port: 6380 },
      ],
      username: "app",
      password: "p@ss:w@rd",
      tls: true,
    });
    expect(parseClusterUrl("redis+cluster://:secret@h1:7000").password).toBe("secret");
    expect(() => parseClusterUrl("redis+cluster://h1:7000/3")).toThrow(/redis\+cluster:\/\//);
    expect(() => parseClusterUrl("redis+cluster://h1:99999")).toThrow(/bad cluster node/);
  });

  it("never shows the password", () => {
    expect(withoutPassword("redis+cluster://app:s3cret@h1:7000,h2:7001")).toBe(
      "redis+cluster://app:***@h1:7000,h2:7001",
    );
    expect(withoutPassword("redis+cluster://h1:7000,h2:7001")).toBe("redis+cluster://h1:7000,h2:7001");
  });

  it("is accepted by the configuration, and a malformed one is refused", () => {
    const url = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002";
    expect(loadConfig({ store: url }, {}).store).toBe(url);
    expect(loadConfig({ store: "rediss+cluster://u:p@h1:7000,h2:7000" }, {}).store).toMatch(
      /^rediss\+cluster/,
    );
    expect(() => loadConfig({ store: "redis+cluster://h1:7000,,h2:7000" }, {})).toThrow(/store/);
  });

  it("fails to open, naming the store without its password, when no node answers", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const opening = openStore({
      store: `redis+cluster://app:s3cret@127.0.0.1:${p1},127.0.0.1:${p2}`,
      dataDir: "",
      keyPrefix: "pp",
    });
    await expect(opening).rejects.toThrow(
      new RegExp(`^cannot reach the store at redis\\+cluster://app:\\*\\*\\*@127\\.0\\.0\\.1:${p1},`),
    );
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });
});

describe.skipIf(!redisClusterReachable)("Redis Cluster store [redis-cluster]", () => {
  const url = REDIS_CLUSTER_URL as string;

  async function withStore(test: (store: Store, prefix: string) => Promise<void>) {
    const prefix = uniquePrefix();
    const store = await openStore({ store: url, dataDir: "", keyPrefix: prefix });
    try {
      await test(store, prefix);
    } finally {
      await store.close();
      await deleteRedisPrefix(prefix, url);
    }
  }

  it("computes the slot of a key as the cluster does", async () => {
    const keys = redisKeys("pp");
    const samples = [
      keys.owner("www.example.lu"),
      keys.owner("}a}"),
      keys.owner("}"),
      keys.owner("{a}"),
      keys.owner("ünïcode.example"),
      keys.addresses("4:c000"),
      keys.namesUnder("owners", "lu.example"),
      keys.sensorNumbers,
      keys.counter("u:alice", "daily"),
      keys.expiry(Buffer.from([0, 1, 2, 3, 4, 5, 6])),
      "no-tag-at-all",
      "{}{x}",
    ];
    const cluster = clusterClient(url);
    try {
      await cluster.connect();
      for (const key of samples) {
        expect(slotOf(key), key).toBe(await cluster.cluster("KEYSLOT", key));
      }
    } finally {
      cluster.disconnect();
    }
  });

  it("spreads name and address indexes over every master", async () => {
    await withStore(async (store, prefix) => {
      const lines: RecordLine[] = [];
      for (let i = 0; i < 3000; i++) {
        const name = `h${i}.d${i % 600}.example${i % 5}`;
        lines.push(line(name, A, `10.${i % 250}.${(i * 7) % 256}.1`));
        if (i % 3 === 0) lines.push(line(`alias${i}.example${i % 5}`, CNAME, name));
        if (i % 10 === 0) lines.push(line(name, AAAA, `2001:db8:${i.toString(16)}::1`));
      }
      await ingest(store, lines);
      const cluster = clusterClient(url);
      try {
        await cluster.connect();
        const masters = cluster.nodes("master");
        expect(masters.length).toBeGreaterThanOrEqual(3);
        for (const kind of ["nu:o", "nu:t", "np:o", "np:t", "ax", "o", "ip"]) {
          const perNode: number[] = [];
          for (const node of masters) {
            let count = 0;
            let cursor = "0";
            do {
              const [next, found] = await node.scan(cursor, "MATCH", `${prefix}:${kind}:*`, "COUNT", 1000);
              count += found.length;
              cursor = next;
            } while (cursor !== "0");
            perNode.push(count);
          }
          expect(
            perNode.every((n) => n > 0),
            `${kind} keys per master: ${perNode}`,
          ).toBe(true);
        }
      } finally {
        cluster.disconnect();
      }
    });
  });

  it("writes and reads a name whose slot ioredis gets wrong, beside a name of its real slot", async () => {
    await withStore(async (store, prefix) => {
      const keys = redisKeys(prefix);
      const odd = "}a}.example";
      const slot = slotOf(keys.owner(odd));
      let partner = "";
      for (let i = 0; partner === ""; i++) {
        if (slotOf(keys.owner(`n${i}.example`)) === slot) partner = `n${i}.example`;
      }
      const result = await ingest(store, [
        line(odd, A, "192.0.2.1"),
        line(partner, A, "192.0.2.1"),
        line(odd, CNAME, partner),
      ]);
      expect(result).toEqual({ created: 3, collisions: 0 });
      const values = await store.getRecords([
        { rrname: odd, sortKey: sortKeyOf(odd, A, "192.0.2.1") },
        { rrname: partner, sortKey: sortKeyOf(partner, A, "192.0.2.1") },
      ]);
      expect(values.every((value) => value !== undefined)).toBe(true);
      const [owned, pointing] = await Promise.all([
        store.readOwners([{ rrname: odd, range: {} }], 10),
        store.readIndexes([{ ref: { kind: "name", name: partner }, range: {} }], 10),
      ]);
      expect(owned[0]).toHaveLength(2);
      expect(pointing[0]?.map((entry) => entry.rrname)).toEqual([odd]);
    });
  });

  it("refuses a cluster node given as redis://, pointing to redis+cluster://", async () => {
    const node = parseClusterUrl(url).nodes[0] as { host: string; port: number };
    await expect(openRedisStore(`redis://${node.host}:${node.port}`, "pp")).rejects.toThrow(
      /is a Redis Cluster node: use redis\+cluster:\/\//,
    );
  });
});
