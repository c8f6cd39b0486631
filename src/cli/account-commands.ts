/**
 * The administration commands: `users`, `tokens`, `quotas`, `audit` and `jwt`. They act on the store
 * directly, through the same Accounts, AuditLog and JwtService as the admin HTTP API, so they work with
 * the server stopped (the embedded store) or running (either store).
 */
import { type Command, Option } from "commander";
import { parseTimeBound } from "../audit/time-bound.js";
import { quotaJson, tokenJson, userJson } from "../auth/account-json.js";
import { Accounts, type Quota, ROLES, type Role, type TokenInfo } from "../auth/accounts.js";
import { parseDuration } from "../auth/duration.js";
import { JwtService } from "../auth/jwt.js";
import type { Config } from "../config.js";
import { auditLogOf, defaultQuotaOf, jwtConfigOf } from "../server.js";
import type { Store } from "../store/types.js";

type WithStore = <T>(command: Command, action: (store: Store, config: Config) => Promise<T>) => Promise<T>;

/** A usage error: printed as one line, exit status 2. */
export class UsageError extends Error {}

const out = (text: string) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);

/** `unlimited` → null, `default` → undefined (the server default), digits → the number. */
function limitFlag(flag: string, text: string | undefined): number | null | undefined | "keep" {
  if (text === undefined) return "keep";
  if (text === "unlimited") return null;
  if (text === "default") return undefined;
  if (!/^[1-9][0-9]{0,14}$/.test(text))
    throw new UsageError(`${flag}: expected a positive integer, unlimited or default`);
  return Number(text);
}

function tokenLine(t: TokenInfo): string {
  const expiry = t.expiresAt ? `expires ${t.expiresAt}` : "no expiry";
  const used = t.lastUsedAt ? `last used ${t.lastUsedAt}` : "never used";
  return `${t.id}\t${t.label || "-"}\tcreated ${t.createdAt}\t${expiry}\t${used}`;
}

export function registerAccountCommands(program: Command, withStore: WithStore): void {
  const users = program.command("users").description("manage users");
  users
    .command("add")
    .argument("<name>")
    .addOption(new Option("--role <role>", "role").choices([...ROLES]).default("analyst"))
    .action(async (name: string, opts: { role: Role }, command: Command) => {
      await withStore(command, async (store) => {
        await new Accounts(store).addUser(name, opts.role);
        out(`user ${name} added with role ${opts.role}`);
      });
    });
  users
    .command("list")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withStore(command, async (store, config) => {
        const list = await new Accounts(store).listUsers();
        if (opts.json) out(JSON.stringify(list.map((u) => userJson(u, defaultQuotaOf(config)))));
        else for (const u of list) out(`${u.name}\t${u.role}${u.disabled ? "\tdisabled" : ""}`);
      });
    });
  users
    .command("show")
    .argument("<name>")
    .description("a user, their limits and tokens, as JSON")
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withStore(command, async (store, config) => {
        const accounts = new Accounts(store);
        const user = await accounts.getUser(name);
        if (!user) throw new UsageError(`no user ${name}`);
        const tokens = await accounts.listTokens(name);
        out(
          JSON.stringify(
            { ...userJson(user, defaultQuotaOf(config)), tokens: tokens.map(tokenJson) },
            null,
            2,
          ),
        );
      });
    });
  users
    .command("set")
    .argument("<name>")
    .description("change a user's role, or disable / enable them (all their tokens stop or resume at once)")
    .addOption(new Option("--role <role>", "new role").choices([...ROLES]))
    .option("--disable", "disable the user")
    .option("--enable", "enable the user")
    .action(
      async (name: string, opts: { role?: Role; disable?: boolean; enable?: boolean }, command: Command) => {
        if (opts.disable && opts.enable) throw new UsageError("give --disable or --enable, not both");
        if (!opts.role && !opts.disable && !opts.enable)
          throw new UsageError("give --role, --disable or --enable");
        const disabled = opts.disable ? true : opts.enable ? false : undefined;
        await withStore(command, async (store) => {
          const user = await new Accounts(store).updateUser(name, { role: opts.role, disabled });
          out(`user ${name}: role ${user.role}${user.disabled ? ", disabled" : ""}`);
        });
      },
    );
  users
    .command("delete")
    .argument("<name>")
    .description("delete a user and every token of theirs")
    .action(async (name: string, _opts: unknown, command: Command) => {
      await withStore(command, async (store) => {
        await new Accounts(store).deleteUser(name);
        out(`user ${name} deleted`);
      });
    });

  const tokens = program.command("tokens").description("manage API tokens");
  tokens
    .command("create")
    .description("create a token; prints only the token (shown once)")
    .argument("<user>")
    .option("--name <label>", "label to recognise the token by")
    .option("--expires-in <duration>", "lifetime: seconds, or digits with s, m, h, d or w (e.g. 90d)")
    .action(async (user: string, opts: { name?: string; expiresIn?: string }, command: Command) => {
      let expiresAt: Date | undefined;
      if (opts.expiresIn !== undefined) {
        const seconds = parseDuration(opts.expiresIn);
        if (seconds === undefined)
          throw new UsageError("--expires-in: expected seconds, or digits with s, m, h, d or w");
        expiresAt = new Date(Date.now() + seconds * 1000);
      }
      await withStore(command, async (store) => {
        const created = await new Accounts(store).createToken(user, opts.name, expiresAt);
        out(created.token);
        const expiry = created.expiresAt ? `, expiring ${created.expiresAt}` : "";
        process.stderr.write(
          `token id ${created.id} created for ${user}${expiry}; it is shown only this once\n`,
        );
      });
    });
  tokens
    .command("list")
    .argument("<user>")
    .option("--json", "print JSON")
    .action(async (user: string, opts: { json?: boolean }, command: Command) => {
      await withStore(command, async (store) => {
        const list = await new Accounts(store).listTokens(user);
        if (opts.json) out(JSON.stringify(list.map(tokenJson)));
        else for (const t of list) out(tokenLine(t));
      });
    });
  tokens
    .command("revoke")
    .argument("<user>")
    .argument("<token-id>")
    .action(async (user: string, id: string, _opts: unknown, command: Command) => {
      await withStore(command, async (store) => {
        await new Accounts(store).revokeToken(user, id);
        out(`token ${id} of ${user} revoked`);
      });
    });

  const quotas = program.command("quotas").description("per-user query quotas and limits");
  quotas
    .command("show")
    .argument("<user>")
    .description("a user's own quota settings and the limits in force (with the server defaults)")
    .action(async (user: string, _opts: unknown, command: Command) => {
      await withStore(command, async (store, config) => {
        const found = await new Accounts(store).getUser(user);
        if (!found) throw new UsageError(`no user ${user}`);
        const shown = userJson(found, defaultQuotaOf(config));
        out(JSON.stringify({ quota: shown.quota, limits: shown.limits }, null, 2));
      });
    });
  quotas
    .command("set")
    .argument("<user>")
    .description("change some of a user's limits (others are kept); values: a number, unlimited or default")
    .option("--daily <n>", "queries per UTC day")
    .option("--burst-size <n>", "queries per burst window")
    .option("--burst-window <seconds>", "length of the burst window (or default)")
    .option("--results-max <n>", "records one query may answer")
    .action(
      async (
        user: string,
        opts: { daily?: string; burstSize?: string; burstWindow?: string; resultsMax?: string },
        command: Command,
      ) => {
        const changes = {
          daily: limitFlag("--daily", opts.daily),
          burstSize: limitFlag("--burst-size", opts.burstSize),
          burstWindow: limitFlag("--burst-window", opts.burstWindow),
          resultsMax: limitFlag("--results-max", opts.resultsMax),
        };
        if (
          changes.burstWindow === null ||
          (typeof changes.burstWindow === "number" && changes.burstWindow > 86_400)
        ) {
          throw new UsageError("--burst-window: expected 1 to 86400 seconds, or default");
        }
        if (Object.values(changes).every((v) => v === "keep")) {
          throw new UsageError("give at least one of --daily, --burst-size, --burst-window, --results-max");
        }
        await withStore(command, async (store, config) => {
          const accounts = new Accounts(store);
          const found = await accounts.getUser(user);
          if (!found) throw new UsageError(`no user ${user}`);
          const quota: Record<string, number | null | undefined> = { ...found.quota };
          for (const [key, value] of Object.entries(changes)) {
            if (value === "keep") continue;
            if (value === undefined) delete quota[key];
            else quota[key] = value;
          }
          const updated = await accounts.setQuota(user, quota as Quota);
          const shown = userJson(updated, defaultQuotaOf(config));
          out(JSON.stringify({ quota: quotaJson(updated.quota), limits: shown.limits }, null, 2));
        });
      },
    );
  quotas
    .command("clear")
    .argument("<user>")
    .description("return a user to the server's default limits")
    .action(async (user: string, _opts: unknown, command: Command) => {
      await withStore(command, async (store) => {
        await new Accounts(store).setQuota(user, {});
        out(`user ${user} now has the default limits`);
      });
    });

  program
    .command("audit")
    .description("read the audit log, newest first")
    .option("--user <name>", "only this user's entries")
    .option("--since <time>", "epoch seconds, RFC 3339, or negative seconds before now")
    .option("--until <time>", "epoch seconds, RFC 3339, or negative seconds before now")
    .option("--limit <n>", "entries per page (1 to 1000)", "100")
    .option("--cursor <cursor>", "continue after the page that printed this cursor")
    .option("--json", "print one JSON object per line")
    .action(
      async (
        opts: {
          user?: string;
          since?: string;
          until?: string;
          limit: string;
          cursor?: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError("--limit: 1 to 1000");
        await withStore(command, async (store, config) => {
          const page = await auditLogOf(store, config).read({
            user: opts.user,
            sinceMs: parseTimeBound(opts.since, "--since"),
            untilMs: parseTimeBound(opts.until, "--until"),
            limit,
            cursor: opts.cursor,
          });
          for (const e of page.entries) {
            if (opts.json) out(JSON.stringify(e));
            else {
              const results = e.results === null ? "-" : String(e.results);
              out(
                `${e.time}\t${e.user}\t${e.status}\t${e.method} ${e.route}${e.value}\t${results}\t${e.client_ip}${e.aborted ? "\taborted" : ""}`,
              );
            }
          }
          if (page.cursor) process.stderr.write(`more: --cursor ${page.cursor}\n`);
        });
      },
    );

  const jwt = program.command("jwt").description("the keys that sign this server's JWTs");
  jwt
    .command("rotate")
    .description("sign new JWTs with a new key; JWTs signed before stay valid until they expire")
    .action(async (_opts: unknown, command: Command) => {
      await withStore(command, async (store, config) => {
        const service = await JwtService.open(store, jwtConfigOf(config));
        out(`signing key ${(await service.rotate()).kid}`);
      });
    });
  jwt
    .command("keys")
    .description("the public keys (JWKS) that check this server's JWTs")
    .action(async (_opts: unknown, command: Command) => {
      await withStore(command, async (store, config) => {
        const service = await JwtService.open(store, jwtConfigOf(config));
        out(JSON.stringify(await service.jwks(), null, 2));
      });
    });
}
