/**
 * Regression tests for defects a review found in the access-control (issue 4) and query-power
 * (issue 5) work: each failed before its fix (the comment names the defect) and guards it since.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Accounts } from "../src/auth/accounts.js";
import { BACKENDS, backendAvailable, describeEachBackend } from "./helpers/backends.js";
import { basic } from "./helpers/http.js";
import { startTestServer, type TestServer } from "./helpers/test-server.js";

const NOW = Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function corpus(): string {
  const lines: string[] = [];
  const at = (name: string, type: string, rdata: string) =>
    lines.push(`${NOW - 100}.000001||10.0.0.1||10.0.0.2||IN||${name}.||${type}||${rdata}||60||1`);
  for (let i = 0; i < 5; i++) at(`h${i}.wild.example`, "A", `198.51.100.${i}`);
  at("v6.wild.example", "AAAA", "2001:db8::1");
  return `${lines.join("\n")}\n`;
}

for (const backend of BACKENDS) {
  describe.skipIf(!backendAvailable(backend))(`regressions [${backend}]`, () => {
    // A test that applies to one backend is declared only there (not reported as skipped elsewhere).
    const onlyOn = (...wanted: string[]) => (wanted.includes(backend) ? it : () => undefined);
    let server: TestServer;
    const adminAuth = () => basic("root", server.adminToken);

    const call = (
      path: string,
      init: { method?: string; auth?: string; body?: unknown; headers?: Record<string, string> } = {},
    ) =>
      fetch(`${server.base}${path}`, {
        method: init.method ?? "GET",
        headers: {
          ...(init.auth === undefined ? {} : { authorization: init.auth }),
          ...init.headers,
        },
        body:
          init.body === undefined
            ? undefined
            : typeof init.body === "string"
              ? init.body
              : JSON.stringify(init.body),
      });

    /** Creates a user (and a token) over the admin API; returns the Basic header for it. */
    async function newUser(name: string, role: string, quota?: Record<string, unknown>): Promise<string> {
      let res = await call("/admin/users", { method: "POST", auth: adminAuth(), body: { name, role } });
      expect(res.status, await res.clone().text()).toBe(201);
      if (quota) {
        res = await call(`/admin/users/${name}/quota`, { method: "PUT", auth: adminAuth(), body: quota });
        expect(res.status, await res.clone().text()).toBe(200);
      }
      res = await call(`/admin/users/${name}/tokens`, { method: "POST", auth: adminAuth(), body: {} });
      expect(res.status).toBe(201);
      const { token } = (await res.json()) as { token: string };
      return basic(name, token);
    }

    beforeAll(async () => {
      server = await startTestServer(backend);
      await server.ingestPassiveDns(corpus());
    }, 60_000);
    afterAll(() => server?.close());

    // src/http/routes/pdns-bulk.ts:109-122 — the access middleware has already taken one unit of the
    // quota when the bulk route takes the other `n - 1`; when that second take is refused (429) the first
    // unit is never given back. README "Quotas and rate limits": "a refused query does not [count]".
    it("a bulk request refused with 429 consumes none of the caller's quota", async () => {
      const auth = await newUser("bulky", "analyst", { daily: 3 });
      const refused = await call("/pdns/bulk", {
        method: "POST",
        auth,
        body: ["h0.wild.example", "h1.wild.example", "h2.wild.example", "h3.wild.example", "h4.wild.example"],
      });
      expect(refused.status).toBe(429);
      const standing = (await (await call("/dnsdb/v2/rate_limit", { auth })).json()) as {
        rate: { remaining: number };
      };
      expect(standing.rate.remaining).toBe(3);
    });

    // src/http/routes/admin.ts:137-139 + src/auth/accounts.ts:50 (tokenDocSchema expiresAt: z.iso.datetime())
    // — `expires_in` up to 999,999,999 units is accepted, so "9999999d" yields an expiry after year 9999
    // whose toISOString() is "+029xxx-...": it is stored, but every later read of that document fails its
    // own schema. #tokenDocsOf reads every token document, so token listing (and user deletion) breaks for
    // EVERY user, and the bad token cannot even be revoked (revokeToken reads it first): 500s until the
    // store is edited by hand. Expected: refuse such an expiry (400) or store it readably.
    it("a token with a far-future expiry does not break token listing and revocation for everyone", async () => {
      await newUser("faraway", "analyst");
      const created = await call("/admin/users/faraway/tokens", {
        method: "POST",
        auth: adminAuth(),
        body: { expires_in: "9999999d" },
      });
      if (created.status === 201) {
        const { id } = (await created.json()) as { id: string };
        const revoke = await call(`/admin/users/faraway/tokens/${id}`, {
          method: "DELETE",
          auth: adminAuth(),
        });
        expect(revoke.status, "revoking the far-future token").toBe(204);
      } else {
        expect(created.status).toBe(400);
      }
      const listing = await call("/admin/users/root/tokens", { auth: adminAuth() });
      expect(listing.status, await listing.text()).toBe(200);
    });

    // src/audit/audit-log.ts:145-147 — a page gets a cursor whenever it is full, so a page that holds
    // exactly the last `limit` entries still carries a cursor (to an empty page). README "Admin API":
    // "`cursor` is null on the last page".
    it("an audit page holding exactly the last entries has a null cursor", async () => {
      const auth = await newUser("audited2", "analyst");
      for (let i = 0; i < 2; i++) {
        const res = await call("/pdns/query/h0.wild.example", { auth });
        expect(res.status).toBe(200);
        await res.text();
      }
      let page: { entries: unknown[]; cursor: string | null } = { entries: [], cursor: null };
      for (let i = 0; i < 40 && page.entries.length < 2; i++) {
        await sleep(100);
        page = (await (
          await call("/admin/audit?user=audited2&limit=2", { auth: adminAuth() })
        ).json()) as typeof page;
      }
      expect(page.entries).toHaveLength(2);
      const next = page.cursor
        ? ((await (
            await call(`/admin/audit?user=audited2&limit=2&cursor=${page.cursor}`, { auth: adminAuth() })
          ).json()) as typeof page)
        : undefined;
      expect({ cursor: page.cursor, nextEntries: next?.entries.length }).toEqual({
        cursor: null,
        nextEntries: undefined,
      });
    });

    // src/http/routes/circl-pdns.ts:86-94 + src/http/ndjson-response.ts:27-29 — on the streaming path
    // streamOutcomeReporter() is called before the lookup's first chunk is read; a lookup cursor that
    // does not parse throws inside that first read (lookupSource.records is an async generator), the
    // request is answered 400, but onDone is never called: the audit entry waits forever on a promise
    // that never settles (and is never written). README "Audit log": every query is an entry.
    it("audits a wildcard query refused for a bad dribble cursor", async () => {
      const auth = await newUser("badcursor", "analyst");
      const res = await call("/pdns/query/*.wild.example", {
        auth,
        headers: { "dribble-paginate-cursor": "12345" },
      });
      expect(res.status).toBe(400);
      await res.text();
      let entries: Array<{ status: number }> = [];
      for (let i = 0; i < 20 && entries.length === 0; i++) {
        await sleep(100);
        entries = (
          (await (await call("/admin/audit?user=badcursor", { auth: adminAuth() })).json()) as {
            entries: Array<{ status: number }>;
          }
        ).entries;
      }
      expect(entries.map((e) => e.status)).toEqual([400]);
    });

    // src/store/lmdb-store.ts:518-524 — takeCounters starts a fresh counter's lifetime even for a
    // zero-cost check, so on LMDB merely asking `GET /dnsdb/v2/rate_limit` (RateLimiter.peek, cost 0)
    // starts the burst window; Redis (take-counters.lua) starts it only with the first INCRBY. README:
    // "the window starting at the first query"; asking the standing "does not count".
    // Only LMDB keeps counters in the process; Redis is covered by the store contract.
    onlyOn("lmdb")("starts the burst window at the first query, not at a rate_limit check", async () => {
      const auth = await newUser("peeker", "analyst", { burst_size: 5, burst_window: 60 });
      const peek = await call("/dnsdb/v2/rate_limit", { auth });
      expect(peek.status).toBe(200);
      await peek.text();
      await sleep(2_100);
      const first = Date.now();
      const res = await call("/pdns/query/h0.wild.example", { auth });
      expect(res.status).toBe(200);
      await res.text();
      const reset = Number(res.headers.get("x-ratelimit-reset"));
      // The window began with this query: it resets 60 s after it (to the second).
      expect(reset).toBeGreaterThanOrEqual(Math.floor(first / 1000) + 60);
    });

    // src/store/redis-store.ts:353 + src/store/name-buckets.ts:58 — bucketsOfRange throws a RangeError
    // for a block spanning more than 65,536 buckets (an IPv6 block wider than /16); it is neither an
    // ApiError nor a LookupError, so an admin (no width limit) asking for one gets a 500 "internal error"
    // on Redis (LMDB answers). Expected: a 400 naming the limit, or the records.
    // Only the Redis store enumerates address buckets (LMDB scans the range).
    onlyOn("redis", "redis-cluster")("answers an admin's wide IPv6 block without a 500", async () => {
      const res = await call("/pdns/query/2001:db8::/15", { auth: adminAuth() });
      const text = await res.text();
      expect([200, 400], text).toContain(res.status);
    });
  });
}

// src/http/access.ts:41-45 — behind a trusted proxy the client address is taken from the FIRST
// X-Forwarded-For hop. A proxy that appends (nginx `$proxy_add_x_forwarded_for`, most load balancers)
// keeps whatever the client itself sent in front of the address it saw, so the first hop is chosen by
// the client: one attacker rotating a fake first hop gets a fresh failure counter per request and is
// never locked out (README "Brute-force defence"), and writes any client_ip it likes into the audit
// log. Expected: the address the trusted proxy added (the last hop), which the client cannot forge.
describe("regressions: brute-force defence behind a proxy", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("lmdb", { trustProxy: "true", authFailureLimit: "3" });
  }, 60_000);
  afterAll(() => server?.close());

  it("locks out one client whatever first hop it forges in X-Forwarded-For", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      // What the proxy forwards: the client's own header, then the address the proxy saw (198.51.100.7).
      const res = await fetch(`${server.base}/pdns/query/example.com`, {
        headers: {
          authorization: basic("alice", "pps_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
          "x-forwarded-for": `203.0.113.${i}, 198.51.100.7`,
        },
      });
      await res.text();
      statuses.push(res.status);
    }
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
  });
});

// src/auth/accounts.ts:184-185 (updateUser) and 200-202 (deleteUser) — the "last enabled admin" guard reads the users, then writes,
// with nothing making the two atomic: two admins disabling each other at the same moment (two servers,
// or one server's two requests, sharing the store) both pass the check, and the service is left with no
// enabled admin. README "Admin API": `409` for removing the last enabled admin.
describeEachBackend("regressions: last-admin guard under concurrency", ({ store }) => {
  it("never leaves the service without an enabled admin when two admins disable each other at once", async () => {
    const setup = new Accounts(store());
    await setup.addUser("root", "admin");
    await setup.addUser("second", "admin");
    // Two processes: two Accounts over the same store.
    const [one, two] = [new Accounts(store()), new Accounts(store())];
    const outcomes = await Promise.allSettled([
      one.updateUser("second", { disabled: true }),
      two.updateUser("root", { disabled: true }),
    ]);
    const enabledAdmins = (await setup.listUsers()).filter((u) => u.role === "admin" && !u.disabled);
    // At least one admin stays enabled; each change that would have left none is undone and refused
    // (one of the two, or both when they look at the same moment).
    expect(enabledAdmins.length).toBeGreaterThanOrEqual(1);
    const refused = outcomes.filter((o) => o.status === "rejected");
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const o of refused)
      expect((o as PromiseRejectedResult).reason).toMatchObject({ code: "last_admin" });
    expect(enabledAdmins.length + (outcomes.length - refused.length)).toBe(2);
  });
});
