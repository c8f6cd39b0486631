/**
 * The soak's identities, made over the admin API (README "Access control", "D4 sensors") so that the
 * same code serves a started server and an attached one: an analyst for the queries, a sensor user for
 * HTTP ingest, and an approved D4 sensor (type 8). Names carry the run id; all are deleted at the end.
 */
import type { D4Sensor } from "../../bench/d4-bench-client.js";
import { clientAgent, exchange, expectOk } from "./http-client.js";

export interface SoakAccounts {
  analyst: { user: string; token: string };
  sensorUser: { user: string; token: string };
  /** The D4 sensor, or undefined when the server has no D4 endpoint to load. */
  d4Sensor: D4Sensor | undefined;
  /** Deletes the users (and their tokens) and the sensor. */
  remove(): Promise<void>;
}

/** HTTP Basic, as curl -u sends it. */
export function basic(user: string, token: string): string {
  return `Basic ${Buffer.from(`${user}:${token}`).toString("base64")}`;
}

export async function createAccounts(
  baseUrl: string,
  adminAuthorization: string,
  runId: string,
  withSensor: boolean,
): Promise<SoakAccounts> {
  const agent = clientAgent();
  const headers = { authorization: adminAuthorization, "content-type": "application/json" };
  const call = async (method: "POST" | "DELETE", path: string, body?: object) => {
    const options =
      body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) };
    const answer = expectOk(await exchange(agent, `${baseUrl}${path}`, options), `${method} ${path}`);
    return answer.body === "" ? {} : (JSON.parse(answer.body) as Record<string, unknown>);
  };
  const user = async (name: string, role: "analyst" | "sensor") => {
    await call("POST", "/admin/users", { name, role });
    const created = await call("POST", `/admin/users/${name}/tokens`, { label: "soak" });
    return { user: name, token: String(created.token) };
  };
  const analyst = await user(`soak-${runId}-analyst`, "analyst");
  const sensorUser = await user(`soak-${runId}-sensor`, "sensor");
  let d4Sensor: D4Sensor | undefined;
  if (withSensor) {
    const created = await call("POST", "/admin/sensors", { type: "8" });
    // The HMAC key is the key's text, as the D4 clients read it from their `key` file.
    d4Sensor = { uuid: String(created.uuid), key: Buffer.from(String(created.key), "utf8") };
  }
  return {
    analyst,
    sensorUser,
    d4Sensor,
    async remove() {
      try {
        for (const name of [analyst.user, sensorUser.user]) await call("DELETE", `/admin/users/${name}`);
        if (d4Sensor) await call("DELETE", `/admin/sensors/${d4Sensor.uuid}`);
      } finally {
        agent.destroy();
      }
    },
  };
}
