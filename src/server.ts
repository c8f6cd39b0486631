/** `pdns-pssl serve`: opens the store, builds the app and listens until SIGINT/SIGTERM. */
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
import { createApp } from "./http/app.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/types.js";
import { VERSION } from "./version.js";

export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);
}

/** The CLI arguments that point another command at the same store as this configuration. */
function storeArguments(config: Config): string {
  return config.store === "embedded"
    ? `--data-dir ${JSON.stringify(config.dataDir)}`
    : `--store ${JSON.stringify(config.store)} --key-prefix ${config.keyPrefix}`;
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

export async function startServer(
  config: Config,
): Promise<{ close(): Promise<void>; port: number; d4Port: number | undefined }> {
  const store = await openStore(config);
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
  });
  const { host, port: wantedPort } = config.listen;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: wantedPort }, () => resolve(s));
    s.once("error", reject);
  });
  // The D4 sensor endpoint, when asked for: TLS, sensors approved with `pdns-pssl sensors`.
  const d4 = config.d4Listen
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
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : wantedPort;
  log(
    `pdns-pssl ${VERSION} listening on http://${host.includes(":") ? `[${host}]` : host}:${port} (store: ${store.backend})`,
  );
  return {
    port,
    d4Port: d4?.port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await d4?.close();
      await audit.close();
      await store.close();
    },
  };
}
