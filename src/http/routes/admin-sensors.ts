/**
 * The admin API for D4 sensors (the same operations as `pdns-pssl sensors`): list, create (the
 * "sensor generator": a new approved sensor and its key), approve a pending one (its key, shown once),
 * revoke, delete. Answers 503 when the server has no secret key to protect sensor keys with.
 */
import { Hono } from "hono";
import { z } from "zod";
import { SENSOR_TYPES, SensorError, type Sensors } from "../../d4/sensors.js";
import { ApiError } from "../errors.js";
import { jsonBody } from "../json-body.js";
import { answer, answerJson, noteQueryValue, noteResults, type RequestEnv } from "../request-env.js";

// The bodies, exported for the OpenAPI document (src/http/openapi), which describes them with these schemas.
export const typeSchema = z.strictObject({ type: z.enum(SENSOR_TYPES).optional() });
export const newSensorSchema = z.strictObject({ type: z.enum(SENSOR_TYPES) });

export function adminSensorRoutes(sensors: Sensors | undefined) {
  const app = new Hono<RequestEnv>();
  const registry = (): Sensors => {
    if (!sensors) {
      throw new ApiError(
        503,
        "no_secret_key",
        "set PDNS_PSSL_SECRET_KEY on this server to manage D4 sensors",
      );
    }
    return sensors;
  };
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SensorError) {
        throw new ApiError(error.code === "no_such_sensor" ? 404 : 400, error.code, error.message);
      }
      throw error;
    }
  };

  app.get("/sensors", async (c) => {
    const list = await registry().list();
    noteResults(c, list.length);
    return answerJson(c, { sensors: list });
  });

  app.post("/sensors", async (c) => {
    const { type } = await jsonBody(c, newSensorSchema);
    const created = await registry().add(type);
    noteQueryValue(c, created.uuid);
    return answerJson(c, { ...created, type }, 201);
  });

  app.post("/sensors/:uuid/approve", async (c) => {
    const uuid = c.req.param("uuid");
    noteQueryValue(c, uuid);
    const { type } = await jsonBody(c, typeSchema);
    const key = await call(() => registry().approve(uuid, type));
    return answerJson(c, { uuid, key });
  });

  app.post("/sensors/:uuid/revoke", async (c) => {
    const uuid = c.req.param("uuid");
    noteQueryValue(c, uuid);
    await call(() => registry().revoke(uuid));
    return answerJson(c, await registry().get(uuid));
  });

  app.delete("/sensors/:uuid", async (c) => {
    const uuid = c.req.param("uuid");
    noteQueryValue(c, uuid);
    await call(() => registry().delete(uuid));
    return answer(c, null, 204);
  });

  return app;
}
