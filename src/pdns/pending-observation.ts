/**
 * An observation being merged in memory before it is encoded: times, count, and the sensors that saw
 * it — one id in the usual case, a set only once a second sensor shows up. Shared by passive DNS and
 * passive SSL batches.
 */
import type { Observation } from "./record-codec.js";

export interface PendingObservation {
  timeFirst: number;
  timeLast: number;
  count: number;
  sensors: string | Set<string>;
}

export function startObservation(time: number, count: number, sensorId: string): PendingObservation {
  return { timeFirst: time, timeLast: time, count, sensors: sensorId };
}

export function absorb(into: PendingObservation, time: number, count: number, sensorId: string): void {
  if (time < into.timeFirst) into.timeFirst = time;
  if (time > into.timeLast) into.timeLast = time;
  into.count += count;
  if (typeof into.sensors === "string") {
    if (into.sensors !== sensorId) into.sensors = new Set([into.sensors, sensorId]);
  } else {
    into.sensors.add(sensorId);
  }
}

/** The sensor ids of a pending observation. */
export function sensorIdsOf(p: PendingObservation): Iterable<string> {
  return typeof p.sensors === "string" ? [p.sensors] : p.sensors;
}

/** The observation to encode, with sensor ids replaced by their numbers. */
export function toObservation(p: PendingObservation, numbers: Map<string, number>): Observation {
  return {
    timeFirst: p.timeFirst,
    timeLast: p.timeLast,
    count: p.count,
    sensors:
      typeof p.sensors === "string"
        ? [numbers.get(p.sensors) as number]
        : [...p.sensors].map((id) => numbers.get(id) as number).sort((a, b) => a - b),
  };
}
