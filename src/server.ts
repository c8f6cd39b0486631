/** `pdns-pssl serve`: opens the store, builds the app and listens until SIGINT/SIGTERM. */
import { serve } from "@hono/node-server";
import { Accounts } from "./auth/accounts.js";
import type { Config } from "./config.js";
import { createApp } from "./http/app.js";
import { openStore } from "./store/open-store.js";
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

export async function startServer(config: Config): Promise<{ close(): Promise<void>; port: number }> {
  const store = await openStore(config);
  const accounts = new Accounts(store);
  if (!(await accounts.hasAdmin())) {
    const where = storeArguments(config);
    log("this store has no admin user yet; create one and a token for it with:");
    log(`  npx pdns-pssl users add admin --role admin ${where}`);
    log(`  npx pdns-pssl tokens create admin --name first-token ${where}`);
  }
  const app = createApp({ store, accounts, config, version: VERSION, log });
  const { host, port: wantedPort } = config.listen;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: wantedPort }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : wantedPort;
  log(
    `pdns-pssl ${VERSION} listening on http://${host.includes(":") ? `[${host}]` : host}:${port} (store: ${store.backend})`,
  );
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}
