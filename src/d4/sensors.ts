/**
 * D4 sensors and their lifecycle: an unknown sensor that connects is recorded as pending (first seen,
 * source address) and refused; an operator approves it, which creates its HMAC key (shown once); it can
 * be revoked or deleted. A D4 key must be usable to check HMACs, so it cannot be hashed: it is stored
 * encrypted (AES-256-GCM) under the server's secret key, which never enters the store.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import type { Store } from "../store/types.js";

export const SENSOR_STATUSES = ["pending", "approved", "revoked"] as const;
export type SensorStatus = (typeof SENSOR_STATUSES)[number];
export const SENSOR_TYPES = ["8", "ja3-jl"] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A stored sensor; without its key, also what the admin API lists (and the OpenAPI document says). */
export const sensorDocSchema = z.object({
  uuid: z.string().regex(UUID_PATTERN),
  status: z.enum(SENSOR_STATUSES),
  type: z.enum(SENSOR_TYPES).optional(),
  /** base64 of IV (12) + tag (16) + ciphertext. */
  keyCipher: z.string().optional(),
  firstSeen: z.iso.datetime(),
  lastSeen: z.iso.datetime().optional(),
  sourceIp: z.string().optional(),
  bytes: z.number().int().nonnegative(),
  records: z.number().int().nonnegative(),
  rejects: z.number().int().nonnegative(),
});

/** A sensor as listings show it (never its key). */
export type Sensor = Omit<z.infer<typeof sensorDocSchema>, "keyCipher">;
type SensorDoc = z.infer<typeof sensorDocSchema>;

export class SensorError extends Error {
  readonly code: "invalid_uuid" | "no_such_sensor" | "sensor_exists";

  constructor(code: SensorError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** Sensors in the store; `secret` is the server's 32-byte key that encrypts the sensors' keys. */
export class Sensors {
  readonly #store: Store;
  readonly #secret: Buffer;

  constructor(store: Store, secret: Buffer) {
    if (secret.length !== 32) throw new Error("the secret key must be 32 bytes");
    this.#store = store;
    this.#secret = secret;
  }

  /** Every sensor, by first seen. */
  async list(): Promise<Sensor[]> {
    const docs = (await this.#store.listDocs("sensor")).map(([, json]) =>
      sensorDocSchema.parse(JSON.parse(json)),
    );
    return docs.sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : 1)).map(withoutKey);
  }

  async get(uuid: string): Promise<Sensor | undefined> {
    const doc = await this.#read(uuid);
    return doc && withoutKey(doc);
  }

  /** Records an unknown sensor that tried to connect (kept pending; its data is refused). */
  async notePending(uuid: string, sourceIp: string): Promise<void> {
    const now = new Date().toISOString();
    const doc = await this.#read(uuid);
    if (doc) {
      await this.#write({ ...doc, lastSeen: now, sourceIp });
      return;
    }
    await this.#write({
      uuid: checkUuid(uuid),
      status: "pending",
      firstSeen: now,
      lastSeen: now,
      sourceIp,
      ...ZERO,
    });
  }

  /** Approves a sensor (pending, revoked or unseen) with a new key, returned once. */
  async approve(uuid: string, type?: SensorType): Promise<string> {
    const now = new Date().toISOString();
    const doc = (await this.#read(uuid)) ?? {
      uuid: checkUuid(uuid),
      status: "pending" as const,
      firstSeen: now,
      ...ZERO,
    };
    const key = randomBytes(24).toString("base64url");
    await this.#write({
      ...doc,
      status: "approved",
      keyCipher: this.#encrypt(key),
      ...(type ? { type } : {}),
    });
    return key;
  }

  /** Creates an approved sensor with a new uuid and key (the "sensor generator"). */
  async add(type: SensorType): Promise<{ uuid: string; key: string }> {
    const uuid = randomUUID();
    return { uuid, key: await this.approve(uuid, type) };
  }

  async revoke(uuid: string): Promise<void> {
    const doc = await this.#require(uuid);
    const { keyCipher: _dropped, ...rest } = doc;
    await this.#write({ ...rest, status: "revoked" });
  }

  async delete(uuid: string): Promise<void> {
    await this.#require(uuid);
    await this.#store.deleteDoc("sensor", uuid);
  }

  /** The HMAC key of an approved sensor, or undefined (unknown, pending, revoked). */
  async keyOf(uuid: string): Promise<Buffer | undefined> {
    const doc = await this.#read(uuid);
    if (doc?.status !== "approved" || !doc.keyCipher) return undefined;
    return Buffer.from(this.#decrypt(doc.keyCipher), "utf8");
  }

  /** Adds a session's figures to a sensor. */
  async noteSession(
    uuid: string,
    figures: { bytes: number; records: number; rejects: number; sourceIp: string },
  ) {
    const doc = await this.#read(uuid);
    if (!doc) return;
    await this.#write({
      ...doc,
      lastSeen: new Date().toISOString(),
      sourceIp: figures.sourceIp,
      bytes: doc.bytes + figures.bytes,
      records: doc.records + figures.records,
      rejects: doc.rejects + figures.rejects,
    });
  }

  async #require(uuid: string): Promise<SensorDoc> {
    const doc = await this.#read(uuid);
    if (!doc) throw new SensorError("no_such_sensor", `no sensor ${uuid}`);
    return doc;
  }

  async #read(uuid: string): Promise<SensorDoc | undefined> {
    if (!UUID_PATTERN.test(uuid)) return undefined;
    const json = await this.#store.getDoc("sensor", uuid);
    return json === undefined ? undefined : sensorDocSchema.parse(JSON.parse(json));
  }

  async #write(doc: SensorDoc): Promise<void> {
    await this.#store.putDoc("sensor", doc.uuid, JSON.stringify(doc));
  }

  #encrypt(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#secret, iv);
    const body = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
  }

  #decrypt(stored: string): string {
    const bytes = Buffer.from(stored, "base64");
    const decipher = createDecipheriv("aes-256-gcm", this.#secret, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
  }
}

const ZERO = { bytes: 0, records: 0, rejects: 0 };

function checkUuid(uuid: string): string {
  if (!UUID_PATTERN.test(uuid))
    throw new SensorError("invalid_uuid", `not a sensor uuid: ${JSON.stringify(uuid)}`);
  return uuid;
}

function withoutKey(doc: SensorDoc): Sensor {
  const { keyCipher: _key, ...rest } = doc;
  return rest;
}
