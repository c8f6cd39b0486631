/**
 * A D4 sensor's client configuration folder, as `pdns-pssl sensors add` writes it (writeClientFolder in
 * src/cli/sensor-commands.ts): one value per file, as the D4 C and Go clients read them, the key file
 * readable by its owner only. Here it becomes a zip of the folder `d4-sensor-<uuid>/`, made in the page
 * when an admin approves a sensor. Pure (no DOM): the unit tests compare it with the CLI's folder.
 */
import { type ZipEntry, zip } from "./zip.js";

export type SensorType = "8" | "ja3-jl";

/** What the sensor page offers, with what each carries. */
export const SENSOR_TYPE_LABELS: Record<SensorType, string> = {
  "8": "8 · passivedns",
  "ja3-jl": "ja3-jl · TLS sessions (254)",
};

export interface ClientFile {
  name: string;
  content: string;
  mode: number;
}

/** The files of the folder, each value on one line. */
export function d4ClientFiles(
  sensor: { uuid: string; key: string },
  type: SensorType,
  destination: string,
): ClientFile[] {
  const values: Array<[string, string]> = [
    ["uuid", sensor.uuid],
    ["key", sensor.key],
    ["destination", destination],
    ["type", type === "8" ? "8" : "254"],
    ["version", "1"],
    ["source", "stdin"],
    ["snaplen", "4096"],
  ];
  if (type === "ja3-jl") {
    values.push(["metaheader.json", JSON.stringify({ type: "ja3-jl", encoding: "utf-8" })]);
  }
  return values.map(([name, value]) => ({
    name,
    content: `${value}\n`,
    mode: name === "key" ? 0o600 : 0o644,
  }));
}

/** The folder's name, the zip's name without `.zip`. */
export function d4FolderName(uuid: string): string {
  return `d4-sensor-${uuid}`;
}

/** The zip of the folder `d4-sensor-<uuid>/` and its files. */
export function d4ClientZip(
  sensor: { uuid: string; key: string },
  type: SensorType,
  destination: string,
  now = new Date(),
): Uint8Array<ArrayBuffer> {
  const folder = d4FolderName(sensor.uuid);
  const entries: ZipEntry[] = [{ name: `${folder}/` }];
  for (const file of d4ClientFiles(sensor, type, destination)) {
    entries.push({ name: `${folder}/${file.name}`, data: file.content, mode: file.mode });
  }
  return zip(entries, now);
}

/** A destination as the clients take it: host:port, an IPv6 host in brackets. */
export function validDestination(value: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(value.trim());
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65_535;
}
