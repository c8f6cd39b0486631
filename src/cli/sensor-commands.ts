/**
 * `pdns-pssl sensors ...`: the D4 sensor lifecycle (list, approve, revoke, delete) and `sensors add`,
 * which creates an approved sensor and writes the configuration folder the D4 C and Go clients read.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Command, Option } from "commander";
import type { Config } from "../config.js";
import { loadSecretKey } from "../d4/secret-key.js";
import { SENSOR_TYPES, Sensors, type SensorType } from "../d4/sensors.js";
import type { Store } from "../store/types.js";

type WithStore = <T>(command: Command, action: (store: Store, config: Config) => Promise<T>) => Promise<T>;

const out = (text: string) => process.stdout.write(`${text}\n`);

async function sensorsOf(store: Store, config: Config): Promise<Sensors> {
  return new Sensors(store, await loadSecretKey(config));
}

/** The D4 client's configuration folder: one value per file, as the C and Go clients expect. */
async function writeClientFolder(
  dir: string,
  sensor: { uuid: string; key: string },
  type: SensorType,
  destination: string,
) {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = {
    uuid: sensor.uuid,
    key: sensor.key,
    destination,
    type: type === "8" ? "8" : "254",
    version: "1",
    source: "stdin",
    snaplen: "4096",
  };
  if (type === "ja3-jl") files["metaheader.json"] = JSON.stringify({ type: "ja3-jl", encoding: "utf-8" });
  for (const [name, value] of Object.entries(files)) {
    await writeFile(join(dir, name), `${value}\n`, { mode: name === "key" ? 0o600 : 0o644 });
  }
}

export function registerSensorCommands(program: Command, withStore: WithStore): void {
  const sensors = program.command("sensors").description("D4 sensors: approve, revoke, list, create");
  sensors
    .command("list")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      await withStore(command, async (store, config) => {
        const list = await (await sensorsOf(store, config)).list();
        if (opts.json) out(JSON.stringify(list));
        else
          for (const s of list) {
            out(
              `${s.uuid}\t${s.status}\t${s.type ?? "-"}\tfirst ${s.firstSeen}\tlast ${s.lastSeen ?? "-"}\t${s.sourceIp ?? "-"}\t${s.bytes} bytes\t${s.records} records\t${s.rejects} rejects`,
            );
          }
      });
    });
  sensors
    .command("approve")
    .argument("<uuid>")
    .addOption(new Option("--type <type>", "D4 type").choices([...SENSOR_TYPES]))
    .description("approve a sensor; prints its key (shown once)")
    .action(async (uuid: string, opts: { type?: SensorType }, command: Command) => {
      await withStore(command, async (store, config) => {
        out(await (await sensorsOf(store, config)).approve(uuid, opts.type));
        process.stderr.write(`sensor ${uuid} approved; its key is shown only this once\n`);
      });
    });
  for (const [name, verb] of [
    ["revoke", "revoked"],
    ["delete", "deleted"],
  ] as const) {
    sensors
      .command(name)
      .argument("<uuid>")
      .action(async (uuid: string, _opts: unknown, command: Command) => {
        await withStore(command, async (store, config) => {
          const registry = await sensorsOf(store, config);
          await (name === "revoke" ? registry.revoke(uuid) : registry.delete(uuid));
          out(`sensor ${uuid} ${verb}`);
        });
      });
  }
  sensors
    .command("add")
    .description("create an approved sensor and write its D4 client configuration folder")
    .addOption(new Option("--type <type>", "D4 type").choices([...SENSOR_TYPES]).makeOptionMandatory())
    .option("--destination <host:port>", "where the client connects", "127.0.0.1:4443")
    .option("--out <dir>", "the configuration folder to write (default ./d4-sensor-<uuid>)")
    .action(async (opts: { type: SensorType; destination: string; out?: string }, command: Command) => {
      await withStore(command, async (store, config) => {
        const sensor = await (await sensorsOf(store, config)).add(opts.type);
        const dir = opts.out ?? `d4-sensor-${sensor.uuid}`;
        await writeClientFolder(dir, sensor, opts.type, opts.destination);
        out(sensor.uuid);
        process.stderr.write(
          `sensor ${sensor.uuid} approved; client configuration (key included) in ${dir}\n`,
        );
      });
    });
}
