import { z } from "zod";
import type { Store } from "../store/types.js";
import { generateApiToken, parseApiToken, secretMatches } from "./api-token.js";
import type { Credential } from "./credentials.js";

/** A credential carrying an API token (Basic or bare), as opposed to a JWT. */
export type ApiTokenCredential = Exclude<Credential, { kind: "bearer" }>;

/** Every role; admin passes every role check. */
export const ROLES = ["admin", "analyst", "sensor"] as const;

/** What a user may do: administer, query, or feed observations. */
export type Role = (typeof ROLES)[number];

const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;

/** A limit: a positive integer, or null for none at all. Absent from a quota: the server's default. */
const limitSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();

/** Per-user limits; each field absent means the server default, null means unlimited. */
export const quotaSchema = z.strictObject({
  /** Queries per UTC day. */
  daily: limitSchema.optional(),
  /** Queries per burst window. */
  burstSize: limitSchema.optional(),
  /** The burst window, in seconds. */
  burstWindow: z.number().int().positive().max(86_400).optional(),
  /** Records one query may answer. */
  resultsMax: limitSchema.optional(),
});

/** A user's own quota settings, as stored. */
export type Quota = z.infer<typeof quotaSchema>;

const userDocSchema = z.object({
  name: z.string().regex(NAME_PATTERN),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  createdAt: z.iso.datetime(),
  quota: quotaSchema.default({}),
});

const tokenDocSchema = z.object({
  id: z.string().regex(TOKEN_ID_PATTERN),
  user: z.string().regex(NAME_PATTERN),
  label: z.string(),
  secretHash: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().optional(),
});

/** A stored user. */
export type User = z.infer<typeof userDocSchema>;

type TokenDoc = z.infer<typeof tokenDocSchema>;

/** A token as listings show it: never its secret nor its hash. */
export interface TokenInfo {
  id: string;
  label: string;
  createdAt: string;
  expiresAt?: string | undefined;
  /** Rounded: recorded at most once a minute per token and process. */
  lastUsedAt?: string | undefined;
}

/** A freshly created token: the only moment its full text exists. */
export interface CreatedToken {
  id: string;
  token: string;
  label: string;
  createdAt: string;
  expiresAt?: string | undefined;
}

/** How a request proved who it is. */
export type AuthMethod = "token" | "jwt" | "idp";

/** Who an authenticated request acts as, through which credential, under which limits. */
export interface Principal {
  user: string;
  role: Role;
  /** The API token used, or the one a local JWT was exchanged from; `idp` for an external JWT. */
  tokenId: string;
  method: AuthMethod;
  quota: Quota;
  /** When the credential stops working, if it expires. */
  expiresAt?: string | undefined;
}

/** Why an account operation was refused. */
export type AccountErrorCode =
  | "user_exists"
  | "invalid_name"
  | "invalid_role"
  | "no_such_user"
  | "no_such_token"
  | "invalid_expiry"
  | "last_admin";

/** An account operation refused for a reason the caller can report to a person. */
export class AccountError extends Error {
  override readonly name = "AccountError";
  readonly code: AccountErrorCode;

  constructor(code: AccountErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

const USE_RECORD_INTERVAL_MS = 60_000;
/** Longest token lifetime that may be asked for (beyond it, no expiry at all is the honest choice). */
const MAX_TOKEN_LIFETIME_MS = 3650 * 86_400_000;

function isActiveAdmin(user: User): boolean {
  return user.role === "admin" && !user.disabled;
}

// Compared against when a token id is unknown, so a miss costs the same hash-and-compare as a hit.
const DUMMY_HASH = generateApiToken().secretHash;

/**
 * Users, their API tokens and quotas, kept as documents in the store. Nothing is cached: a revoked token
 * or a disabled or deleted user fails on the very next request, on every node sharing the store.
 */
export class Accounts {
  readonly #store: Store;
  readonly #lastNoted = new Map<string, number>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Creates a user; throws AccountError `invalid_name`, `invalid_role` or `user_exists`. */
  async addUser(name: string, role: Role): Promise<User> {
    if (!NAME_PATTERN.test(name)) {
      throw new AccountError("invalid_name", "a user name is 1 to 64 of A-Z a-z 0-9 . _ @ -");
    }
    if (!ROLES.includes(role)) {
      throw new AccountError("invalid_role", `a role is one of ${ROLES.join(", ")}`);
    }
    // Not atomic with the write below; users are created by an administrator, one at a time.
    if (await this.getUser(name)) throw new AccountError("user_exists", `user ${name} already exists`);
    const user: User = { name, role, disabled: false, createdAt: new Date().toISOString(), quota: {} };
    await this.#store.putDoc("user", name, JSON.stringify(user));
    return user;
  }

  /** The user called `name`, if any. */
  async getUser(name: string): Promise<User | undefined> {
    if (!NAME_PATTERN.test(name)) return undefined;
    const json = await this.#store.getDoc("user", name);
    return json === undefined ? undefined : readUserDoc(name, json);
  }

  /** Every user, by name. */
  async listUsers(): Promise<User[]> {
    const docs = await this.#store.listDocs("user");
    return docs.map(([name, json]) => readUserDoc(name, json)).sort((a, b) => compareText(a.name, b.name));
  }

  /** True when some enabled user can administer the service. */
  async hasAdmin(): Promise<boolean> {
    return (await this.listUsers()).some((user) => user.role === "admin" && !user.disabled);
  }

  /**
   * Changes a user's role or disabled flag (disabling stops every token and JWT of the user on the next
   * request). Refuses (`last_admin`) to leave the service without an enabled admin.
   */
  async updateUser(
    name: string,
    change: { role?: Role | undefined; disabled?: boolean | undefined },
  ): Promise<User> {
    const user = await this.#requireUser(name);
    const updated: User = {
      ...user,
      ...(change.role === undefined ? {} : { role: change.role }),
      ...(change.disabled === undefined ? {} : { disabled: change.disabled }),
    };
    if (!ROLES.includes(updated.role)) {
      throw new AccountError("invalid_role", `a role is one of ${ROLES.join(", ")}`);
    }
    const demoting = isActiveAdmin(user) && !isActiveAdmin(updated);
    if (demoting) await this.#requireAnotherAdmin(name);
    await this.#store.putDoc("user", name, JSON.stringify(updated));
    // Two admins demoting each other at once both pass the check above: look again after writing, and
    // undo this change if no enabled admin is left (one of the two, or both, then gets last_admin).
    if (demoting) await this.#keepAnAdmin(name, () => this.#store.putDoc("user", name, JSON.stringify(user)));
    return updated;
  }

  /** Sets a user's quota (replacing the previous one). */
  async setQuota(name: string, quota: Quota): Promise<User> {
    const user = await this.#requireUser(name);
    const updated: User = { ...user, quota: quotaSchema.parse(quota) };
    await this.#store.putDoc("user", name, JSON.stringify(updated));
    return updated;
  }

  /** Deletes a user and every token of theirs. Refuses (`last_admin`) to delete the last enabled admin. */
  async deleteUser(name: string): Promise<void> {
    const user = await this.#requireUser(name);
    if (isActiveAdmin(user)) await this.#requireAnotherAdmin(name);
    // The user document goes first: from then on no token of theirs authenticates, even mid-way.
    await this.#store.deleteDoc("user", name);
    if (isActiveAdmin(user)) {
      await this.#keepAnAdmin(name, () => this.#store.putDoc("user", name, JSON.stringify(user)));
    }
    for (const doc of await this.#tokenDocsOf(name)) {
      await this.#store.deleteDoc("token", doc.id);
      await this.#store.deleteDoc("token-use", doc.id);
    }
  }

  /**
   * Issues a token for `user`, optionally expiring at `expiresAt`; the returned text is shown once and
   * never stored. Throws AccountError `no_such_user`, or `invalid_expiry` for an expiry not in the future.
   */
  async createToken(user: string, label = "", expiresAt?: Date): Promise<CreatedToken> {
    await this.#requireUser(user);
    if (expiresAt !== undefined && !(expiresAt.getTime() > Date.now())) {
      throw new AccountError("invalid_expiry", "a token's expiry must be in the future");
    }
    if (expiresAt !== undefined && expiresAt.getTime() > Date.now() + MAX_TOKEN_LIFETIME_MS) {
      throw new AccountError(
        "invalid_expiry",
        "a token may live at most 10 years (omit the expiry for none)",
      );
    }
    let generated = generateApiToken();
    // 64-bit ids practically never collide, but a collision would silently replace another's token.
    while ((await this.#store.getDoc("token", generated.id)) !== undefined) generated = generateApiToken();
    const doc: TokenDoc = {
      id: generated.id,
      user,
      label,
      secretHash: generated.secretHash,
      createdAt: new Date().toISOString(),
      ...(expiresAt === undefined ? {} : { expiresAt: expiresAt.toISOString() }),
    };
    await this.#store.putDoc("token", doc.id, JSON.stringify(doc));
    return { id: doc.id, token: generated.token, label, createdAt: doc.createdAt, expiresAt: doc.expiresAt };
  }

  /** The tokens of `user`, oldest first. Throws AccountError `no_such_user`. */
  async listTokens(user: string): Promise<TokenInfo[]> {
    await this.#requireUser(user);
    const [docs, uses] = await Promise.all([this.#tokenDocsOf(user), this.#store.listDocs("token-use")]);
    const lastUse = new Map(uses);
    return docs
      .sort((a, b) => compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id))
      .map(({ id, label, createdAt, expiresAt }) => ({
        id,
        label,
        createdAt,
        expiresAt,
        lastUsedAt: lastUse.get(id),
      }));
  }

  /**
   * Deletes token `id` of `user`, effective on the next request. Throws AccountError `no_such_user`,
   * or `no_such_token` when the token does not exist or belongs to someone else (the two look alike).
   */
  async revokeToken(user: string, id: string): Promise<void> {
    await this.#requireUser(user);
    const doc = await this.#readToken(id);
    if (doc?.user !== user || !(await this.#store.deleteDoc("token", id))) {
      throw new AccountError("no_such_token", `user ${user} has no token ${id}`);
    }
    await this.#store.deleteDoc("token-use", id);
  }

  /** The principal a credential stands for, or undefined when it must be refused. */
  async authenticate(credential: ApiTokenCredential): Promise<Principal | undefined> {
    // The token format is public, so refusing a malformed one early tells an attacker nothing.
    const parsed = parseApiToken(credential.token);
    if (!parsed) return undefined;
    // Basic names the user: read both documents at once (one round trip to a remote store, not two).
    const [doc, named] = await Promise.all([
      this.#readToken(parsed.id),
      credential.kind === "basic" ? this.getUser(credential.user) : undefined,
    ]);
    // Ids are not secret, but one comparison either way keeps a miss from standing out in timing.
    if (!secretMatches(parsed.secret, doc?.secretHash ?? DUMMY_HASH) || !doc) return undefined;
    if (credential.kind === "basic" && credential.user !== doc.user) return undefined;
    if (doc.expiresAt !== undefined && Date.parse(doc.expiresAt) <= Date.now()) return undefined;
    const user = credential.kind === "basic" ? named : await this.getUser(doc.user);
    if (!user || user.disabled) return undefined;
    this.#noteUse(doc.id);
    return {
      user: user.name,
      role: user.role,
      tokenId: doc.id,
      method: "token",
      quota: user.quota,
      expiresAt: doc.expiresAt,
    };
  }

  /**
   * The principal of a JWT this service issued: valid only while the API token it was exchanged from
   * still exists (not revoked, not expired) and its user is enabled, so revocation reaches JWTs too.
   */
  async authenticateIssued(user: string, tokenId: string): Promise<Principal | undefined> {
    const [doc, found] = await Promise.all([this.#readToken(tokenId), this.getUser(user)]);
    if (!doc || doc.user !== user || !found || found.disabled) return undefined;
    if (doc.expiresAt !== undefined && Date.parse(doc.expiresAt) <= Date.now()) return undefined;
    return { user, role: found.role, tokenId, method: "jwt", quota: found.quota };
  }

  /**
   * The principal of a user vouched for by the external identity provider, with the role it asserts.
   * A local user of the same name lends its quota, and when disabled refuses the request.
   */
  async authenticateExternal(user: string, role: Role): Promise<Principal | undefined> {
    if (!NAME_PATTERN.test(user)) return undefined;
    const local = await this.getUser(user);
    if (local?.disabled) return undefined;
    return { user, role, tokenId: "idp", method: "idp", quota: local?.quota ?? {} };
  }

  // Records when a token was last used, at most once a minute per token: a write per request would
  // cost more than the request. Kept apart from the token document so it can never revive a revoked one.
  #noteUse(id: string): void {
    const now = Date.now();
    if (now - (this.#lastNoted.get(id) ?? 0) < USE_RECORD_INTERVAL_MS) return;
    this.#lastNoted.set(id, now);
    if (this.#lastNoted.size > 100_000) this.#lastNoted.clear();
    this.#store.putDoc("token-use", id, new Date(now).toISOString()).catch(() => {
      // Losing one last-used stamp is harmless; the next use a minute later writes another.
    });
  }

  async #tokenDocsOf(user: string): Promise<TokenDoc[]> {
    const docs = await this.#store.listDocs("token");
    return docs.map(([id, json]) => readTokenDoc(id, json)).filter((doc) => doc.user === user);
  }

  /** After a change that removed an admin: when no enabled admin is left, undoes it and refuses. */
  async #keepAnAdmin(name: string, undo: () => Promise<void>): Promise<void> {
    if ((await this.listUsers()).some(isActiveAdmin)) return;
    await undo();
    throw new AccountError("last_admin", `${name} is the last enabled admin; create another first`);
  }

  async #requireAnotherAdmin(name: string): Promise<void> {
    const others = (await this.listUsers()).filter((user) => user.name !== name && isActiveAdmin(user));
    if (others.length === 0) {
      throw new AccountError("last_admin", `${name} is the last enabled admin; create another first`);
    }
  }

  async #requireUser(name: string): Promise<User> {
    const user = await this.getUser(name);
    if (!user) throw new AccountError("no_such_user", `no user ${name}`);
    return user;
  }

  async #readToken(id: string): Promise<TokenDoc | undefined> {
    if (!TOKEN_ID_PATTERN.test(id)) return undefined;
    const json = await this.#store.getDoc("token", id);
    return json === undefined ? undefined : readTokenDoc(id, json);
  }
}

function readUserDoc(name: string, json: string): User {
  const doc = readDoc(userDocSchema, "user", name, json);
  if (doc.name !== name) throw new Error(`stored user ${name} names itself ${doc.name}`);
  return doc;
}

function readTokenDoc(id: string, json: string): TokenDoc {
  const doc = readDoc(tokenDocSchema, "token", id, json);
  if (doc.id !== id) throw new Error(`stored token ${id} names itself ${doc.id}`);
  return doc;
}

// A document that fails its schema means a corrupt or foreign store: fail loudly rather than guess.
function readDoc<T>(schema: z.ZodType<T>, kind: string, id: string, json: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`stored ${kind} ${id} is not JSON`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(`stored ${kind} ${id} is invalid: ${z.prettifyError(result.error)}`);
  return result.data;
}

// Code-point order, so listings do not depend on the host locale.
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
