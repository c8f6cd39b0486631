import { z } from "zod";
import type { Store } from "../store/types.js";
import { generateApiToken, parseApiToken, secretMatches } from "./api-token.js";
import type { Credential } from "./credentials.js";

/** Every role; admin passes every role check. */
export const ROLES = ["admin", "analyst", "sensor"] as const;

/** What a user may do: administer, query, or feed observations. */
export type Role = (typeof ROLES)[number];

const NAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;

const userDocSchema = z.object({
  name: z.string().regex(NAME_PATTERN),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  createdAt: z.iso.datetime(),
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
  expiresAt?: string;
}

/** A freshly created token: the only moment its full text exists. */
export interface CreatedToken {
  id: string;
  token: string;
  label: string;
  createdAt: string;
}

/** Who an authenticated request acts as, and through which token. */
export interface Principal {
  user: string;
  role: Role;
  tokenId: string;
}

/** Why an account operation was refused. */
export type AccountErrorCode =
  | "user_exists"
  | "invalid_name"
  | "invalid_role"
  | "no_such_user"
  | "no_such_token";

/** An account operation refused for a reason the caller can report to a person. */
export class AccountError extends Error {
  override readonly name = "AccountError";
  readonly code: AccountErrorCode;

  constructor(code: AccountErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

// Compared against when a token id is unknown, so a miss costs the same hash-and-compare as a hit.
const DUMMY_HASH = generateApiToken().secretHash;

/**
 * Users and their API tokens, kept as documents in the store. Nothing is cached: a revoked token or a
 * disabled user fails on the very next request.
 */
export class Accounts {
  readonly #store: Store;

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
    const user: User = { name, role, disabled: false, createdAt: new Date().toISOString() };
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
   * Issues a token for `user`; the returned text is shown once and never stored.
   * Throws AccountError `no_such_user`.
   */
  async createToken(user: string, label = ""): Promise<CreatedToken> {
    await this.#requireUser(user);
    let generated = generateApiToken();
    // 64-bit ids practically never collide, but a collision would silently replace another's token.
    while ((await this.#store.getDoc("token", generated.id)) !== undefined) generated = generateApiToken();
    const doc: TokenDoc = {
      id: generated.id,
      user,
      label,
      secretHash: generated.secretHash,
      createdAt: new Date().toISOString(),
    };
    await this.#store.putDoc("token", doc.id, JSON.stringify(doc));
    return { id: doc.id, token: generated.token, label, createdAt: doc.createdAt };
  }

  /** The tokens of `user`, oldest first. Throws AccountError `no_such_user`. */
  async listTokens(user: string): Promise<TokenInfo[]> {
    await this.#requireUser(user);
    const docs = await this.#store.listDocs("token");
    return docs
      .map(([id, json]) => readTokenDoc(id, json))
      .filter((doc) => doc.user === user)
      .sort((a, b) => compareText(a.createdAt, b.createdAt) || compareText(a.id, b.id))
      .map(({ id, label, createdAt, expiresAt }) =>
        expiresAt === undefined ? { id, label, createdAt } : { id, label, createdAt, expiresAt },
      );
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
  }

  /** The principal a credential stands for, or undefined when it must be refused. */
  async authenticate(credential: Credential): Promise<Principal | undefined> {
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
    return { user: user.name, role: user.role, tokenId: doc.id };
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
