/** `pdns-pssl serve`: opens the store, builds the app and listens until SIGINT/SIGTERM. */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { serve } from "@hono/node-server";
import { AuditLog } from "./audit/audit-log.js";
import { Accounts } from "./auth/accounts.js";
import { AuthFailureGuard } from "./auth/auth-failures.js";
import { type JwtConfig, JwtService } from "./auth/jwt.js";
import { type EffectiveQuota, RateLimiter } from "./auth/quota.js";
import type { Config } from "./config.js";
import { startD4Listener } from "./d4/d4-listener.js";
import { loadSecretKey } from "./d4/secret-key.js";
import { Sensors } from "./d4/sensors.js";
import { createApp, createOpsApp } from "./http/app.js";
import { requestDeadlineExempt } from "./http/request-env.js";
import { startD4Consumers } from "./ingest/d4-consumers.js";
import type { IngestStatus } from "./ingest/ingest-status.js";
import { log } from "./observability/logger.js";
import { watchIngest } from "./observability/metrics.js";
import { retentionEnabled } from "./retention/retention-policy.js";
import { retentionPolicyOf, startRetention } from "./retention/sweeper.js";
import { openStore } from "./store/open-store.js";
import { withoutPassword } from "./store/redis-url.js";
import type { Store } from "./store/types.js";
import { VERSION } from "./version.js";

/** Every message of the server and of long-running commands goes to the structured log (stderr, JSON). */
export { log };

/** The CLI arguments that point another command at the same store as this configuration. */
function storeArguments(config: Config): string {
  return config.store === "embedded"
    ? `--data-dir ${JSON.stringify(config.dataDir)}`
    : `--store ${JSON.stringify(withoutPassword(config.store))} --key-prefix ${config.keyPrefix}`;
}

/** The JWT settings of a configuration (the CLI's `jwt` commands use them too). */
export function jwtConfigOf(config: Config): JwtConfig {
  const { idpIssuer, idpAudience, idpJwksUrl } = config;
  return {
    issuer: config.origin,
    audience: config.origin,
    defaultTtlSeconds: config.jwtTtl,
    maxTtlSeconds: config.jwtMaxTtl,
    external:
      idpIssuer && idpAudience && idpJwksUrl
        ? {
            issuer: idpIssuer,
            audience: idpAudience,
            jwksUrl: idpJwksUrl,
            userClaim: config.idpUserClaim,
            roleClaim: config.idpRoleClaim,
            algorithms: config.idpAlgorithms,
          }
        : undefined,
  };
}

/** The limits of a user with no quota of their own. */
export function defaultQuotaOf(config: Config): EffectiveQuota {
  return {
    daily: config.defaultDaily,
    burstSize: config.defaultBurstSize,
    burstWindow: config.defaultBurstWindow,
    resultsMax: config.defaultResultsMax,
  };
}

/** The audit log of a configuration's store. */
export function auditLogOf(store: Store, config: Config): AuditLog {
  return new AuditLog(
    store,
    { maxAgeMs: config.auditRetentionDays * 86_400_000, maxEntries: config.auditMaxEntries },
    log,
  );
}

type HttpServer = ReturnType<typeof serve>;

/**
 * How long a client may take, in seconds (README "Security checks"): to send a request's headers; to
 * send a whole request, body included (0: no limit; a sensor's ingest past access control is exempt);
 * between requests on a kept-alive connection; and with no byte going either way on a connection at
 * any time (0: no limit).
 */
export interface HttpLimits {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  idleTimeout: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeout: 10,
  requestTimeout: 300,
  keepAliveTimeout: 5,
  idleTimeout: 120,
};

/** Largest request line plus headers: more is answered 431 by Node's parser. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** The HTTP limits of a configuration. */
export function httpLimitsOf(config: Config): HttpLimits {
  const { headersTimeout, requestTimeout, keepAliveTimeout, idleTimeout } = config;
  return { headersTimeout, requestTimeout, keepAliveTimeout, idleTimeout };
}

/** What Node's HTTP server answers to a client error before closing (its own default, kept). */
function clientErrorAnswer(code: string | undefined): string {
  const status =
    code === "HPE_HEADER_OVERFLOW"
      ? "431 Request Header Fields Too Large"
      : code === "HPE_CHUNK_EXTENSIONS_OVERFLOW"
        ? "413 Payload Too Large"
        : code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
  return `HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`;
}

/**
 * Node's handling of a client error (malformed request, headers too large, headers or request deadline
 * passed), except that the request deadline spares a connection whose request lifted it (an admitted
 * ingest, see requestDeadlineExempt): Node reports each expired request once, so it then runs on.
 */
function onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" && requestDeadlineExempt.has(socket)) return;
  // No error answer once an answer has started on this connection: it would corrupt that one.
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !answering?.headersSent) socket.write(clientErrorAnswer(error.code));
  socket.destroy();
}

/** An HTTP server for `fetch` on host:port, once it listens, with the limits that protect it. */
export function listen(
  fetch: Parameters<typeof serve>[0]["fetch"],
  host: string,
  port: number,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<HttpServer> {
  const headersTimeout = Math.round(limits.headersTimeout * 1000);
  const requestTimeout = Math.round(limits.requestTimeout * 1000);
  // How often Node looks for requests past their deadlines (its default, 30 s, would let a 10 s
  // headers deadline run to 40 s): a quarter of the shortest deadline, between 50 ms and 1 s.
  const shortest = requestTimeout > 0 ? Math.min(headersTimeout, requestTimeout) : headersTimeout;
  const connectionsCheckingInterval = Math.min(1000, Math.max(50, Math.floor(shortest / 4)));
  return new Promise<HttpServer>((resolve, reject) => {
    const s = serve(
      {
        fetch,
        hostname: host,
        port,
        serverOptions: {
          maxHeaderSize: MAX_HEADER_BYTES,
          headersTimeout,
          requestTimeout,
          keepAliveTimeout: Math.round(limits.keepAliveTimeout * 1000),
          connectionsCheckingInterval,
        },
      },
      () => resolve(s),
    );
    const http = s as Server;
    http.keepAliveTimeout = Math.round(limits.keepAliveTimeout * 1000);
    // A connection with no byte either way for this long is closed (a stalled body, a client that
    // stops reading an answer); between requests, the keep-alive timeout applies instead.
    http.timeout = Math.round(limits.idleTimeout * 1000);
    http.on("clientError", onClientError);
    s.once("error", reject);
  });
}

export function portOf(server: HttpServer): number {
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Which part of a server this process is. Alone, it is all of it. Under `--workers`, every worker
 * serves the HTTP API; only the leader also runs what must run once (the D4 endpoint, D4 queue
 * consumers, the retention sweeper), and the primary process serves the operations listener.
 */
export interface ServerRole {
  leader: boolean;
  /** One of several worker processes: counters must be shared between processes, no ops listener. */
  clustered: boolean;
}

export const WHOLE_SERVER: ServerRole = { leader: true, clustered: false };

export async function startServer(
  config: Config,
  role: ServerRole = WHOLE_SERVER,
): Promise<{
  close(): Promise<void>;
  port: number;
  d4Port: number | undefined;
  opsPort: number | undefined;
}> {
  const store = await openStore(config, { sharedCounters: role.clustered });
  const accounts = new Accounts(store);
  if (!(await accounts.hasAdmin())) {
    const where = storeArguments(config);
    log("this store has no admin user yet; create one and a token for it with:");
    log(`  npx pdns-pssl users add admin --role admin ${where}`);
    log(`  npx pdns-pssl tokens create admin --name first-token ${where}`);
  }
  const audit = auditLogOf(store, config);
  // Sensor keys need the server's secret key; without one (Redis, none given) sensors cannot be managed.
  const secret = await loadSecretKey(config).catch(() => undefined);
  const sensors = secret ? new Sensors(store, secret) : undefined;
  // Live figures of the D4 endpoint and queue consumers (started below), for admins in /info.
  const ingest: IngestStatus = { queues: undefined, endpoint: undefined };
  watchIngest(ingest);
  const app = createApp({
    store,
    accounts,
    jwt: await JwtService.open(store, jwtConfigOf(config)),
    limiter: new RateLimiter(store),
    failures: new AuthFailureGuard(store, {
      limit: config.authFailureLimit,
      windowSeconds: config.authFailureWindow,
    }),
    audit,
    defaultQuota: defaultQuotaOf(config),
    sensors,
    jwtTtlSeconds: config.jwtTtl,
    config,
    version: VERSION,
    log,
    ingest,
    opsPublic: config.opsPublic,
    corsOrigins: config.corsOrigins,
  });
  const { host, port: wantedPort } = config.listen;
  const limits = httpLimitsOf(config);
  const server = await listen(app.fetch, host, wantedPort, limits);
  // The operations listener: health probes and metrics without credentials, for the orchestrator and
  // Prometheus (bind it where only they reach it).
  const ops =
    config.opsListen && !role.clustered
      ? await listen(createOpsApp({ store, log }).fetch, config.opsListen.host, config.opsListen.port, limits)
      : undefined;
  if (ops && config.opsListen)
    log(`operations (health, metrics) on http://${hostPort(config.opsListen.host, portOf(ops))}`);
  // The D4 sensor endpoint, when asked for: TLS, sensors approved with `pdns-pssl sensors`.
  const d4 =
    config.d4Listen && role.leader
      ? await startD4Listener({
          host: config.d4Listen.host,
          port: config.d4Listen.port,
          cert: config.d4Cert,
          key: config.d4Key,
          dataDir: config.dataDir,
          store,
          sensors: sensors ?? new Sensors(store, await loadSecretKey(config)),
          log,
        })
      : undefined;
  if (d4) log(`D4 sensor endpoint listening on ${config.d4Listen?.host}:${d4.port} (TLS)`);
  ingest.endpoint = d4?.stats;
  // One consumer per configured D4 analyzer queue, each until close (README "D4 analyzer queues").
  const queues = startD4Consumers(role.leader ? config.d4Queues : [], store, log);
  ingest.queues = queues;
  const policy = retentionPolicyOf(config);
  const retention =
    role.leader && retentionEnabled(policy)
      ? await startRetention(store, policy, config.retentionSweepInterval, log)
      : undefined;
  const port = portOf(server);
  log(`pdns-pssl ${VERSION} listening on http://${hostPort(host, port)} (store: ${store.backend})`);
  return {
    port,
    d4Port: d4?.port,
    opsPort: ops ? portOf(ops) : undefined,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ops) await new Promise<void>((resolve) => ops.close(() => resolve()));
      await queues.close();
      await d4?.close();
      await retention?.close();
      await audit.close();
      await store.close();
    },
  };
}
