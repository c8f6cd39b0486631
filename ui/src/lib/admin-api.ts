/**
 * The admin API as the admin pages call it (README "Access control" and "D4 sensors"; every shape is in
 * openapi/openapi.json): users, their tokens and quotas, the audit log, D4 sensors. Failures are
 * ApiFailure with the server's code (`user_exists`, `last_admin`, `no_secret_key`...).
 */
import type { Limits } from "./admin-format.js";
import { getJson, request, sendJson } from "./api.js";
import type { SensorType } from "./d4-client.js";
import type { Role } from "./session.js";

export const ROLES: Role[] = ["analyst", "admin", "sensor"];

export interface UserJson {
  name: string;
  role: Role;
  disabled: boolean;
  created_at: string;
  /** The user's own settings: absent is the server default, null unlimited. */
  quota: Partial<Limits>;
  /** The limits in force. */
  limits: Limits;
}

export interface TokenJson {
  id: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface NewToken extends TokenJson {
  /** The secret: in this answer only. */
  token: string;
  user: string;
}

export interface AuditEntry {
  time: string;
  user: string;
  token_id: string;
  method: string;
  route: string;
  value: string;
  results: number | null;
  status: number;
  client_ip: string;
  request_id: string;
  aborted?: boolean;
}

export interface Sensor {
  uuid: string;
  status: "pending" | "approved" | "revoked";
  type?: SensorType;
  firstSeen: string;
  lastSeen?: string;
  sourceIp?: string;
  bytes: number;
  records: number;
  rejects: number;
}

const user = (name: string) => `/admin/users/${encodeURIComponent(name)}`;

export async function listUsers(signal?: AbortSignal): Promise<UserJson[]> {
  return (await getJson<{ users: UserJson[] }>("/admin/users", { signal })).users;
}

export function getUser(name: string, signal?: AbortSignal): Promise<UserJson> {
  return getJson<UserJson>(user(name), { signal });
}

export async function createUser(name: string, role: Role): Promise<UserJson> {
  return (await sendJson<UserJson>("POST", "/admin/users", { name, role })) as UserJson;
}

export async function changeUser(
  name: string,
  change: { role?: Role; disabled?: boolean },
): Promise<UserJson> {
  return (await sendJson<UserJson>("PATCH", user(name), change)) as UserJson;
}

export async function deleteUser(name: string): Promise<void> {
  await request(user(name), { method: "DELETE" });
}

export async function listTokens(name: string, signal?: AbortSignal): Promise<TokenJson[]> {
  return (await getJson<{ tokens: TokenJson[] }>(`${user(name)}/tokens`, { signal })).tokens;
}

/** A new token; `expiresIn` in seconds, none for a token that does not expire. */
export async function createToken(name: string, label: string, expiresIn?: number): Promise<NewToken> {
  const body = expiresIn === undefined ? { label } : { label, expires_in: expiresIn };
  return (await sendJson<NewToken>("POST", `${user(name)}/tokens`, body)) as NewToken;
}

export async function revokeToken(name: string, id: string): Promise<void> {
  await request(`${user(name)}/tokens/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export interface QuotaJson {
  quota: Partial<Limits>;
  limits: Limits;
}

/** Replaces a user's own quota: absent fields go back to the server default, null is unlimited. */
export async function putQuota(name: string, quota: Partial<Limits>): Promise<QuotaJson> {
  return (await sendJson<QuotaJson>("PUT", `${user(name)}/quota`, quota)) as QuotaJson;
}

export interface AuditQuery {
  user?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
}

/** A page of audit entries, newest first; `cursor` null on the last page. */
export function readAudit(
  query: AuditQuery,
  signal?: AbortSignal,
): Promise<{ entries: AuditEntry[]; cursor: string | null }> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return getJson(`/admin/audit${text ? `?${text}` : ""}`, { signal });
}

const sensor = (uuid: string) => `/admin/sensors/${encodeURIComponent(uuid)}`;

export async function listSensors(signal?: AbortSignal): Promise<Sensor[]> {
  return (await getJson<{ sensors: Sensor[] }>("/admin/sensors", { signal })).sensors;
}

/** Approves a sensor (pending or revoked): its new key, in this answer only. */
export async function approveSensor(uuid: string, type: SensorType): Promise<{ uuid: string; key: string }> {
  return (await sendJson<{ uuid: string; key: string }>("POST", `${sensor(uuid)}/approve`, { type })) as {
    uuid: string;
    key: string;
  };
}

/** Creates an approved sensor with a new uuid and key. */
export async function addSensor(type: SensorType): Promise<{ uuid: string; key: string; type: SensorType }> {
  return (await sendJson("POST", "/admin/sensors", { type })) as {
    uuid: string;
    key: string;
    type: SensorType;
  };
}

export async function revokeSensor(uuid: string): Promise<void> {
  await sendJson("POST", `${sensor(uuid)}/revoke`);
}

export async function deleteSensor(uuid: string): Promise<void> {
  await request(sensor(uuid), { method: "DELETE" });
}
