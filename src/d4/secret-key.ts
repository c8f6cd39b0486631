/**
 * The server's secret key (32 bytes), which encrypts what must be stored but cannot be hashed (D4
 * sensor keys). From `--secret-key` / PDNS_PSSL_SECRET_KEY (base64); for the embedded store, created on
 * first use in `<data dir>/secret.key` (mode 0600) when not given. A shared Redis needs it given, the
 * same on every server: the key must not live in the store it protects.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config.js";

export async function loadSecretKey(
  config: Pick<Config, "secretKey" | "store" | "dataDir">,
): Promise<Buffer> {
  if (config.secretKey !== undefined) return Buffer.from(config.secretKey, "base64");
  if (config.store !== "embedded") {
    throw new Error(
      "set PDNS_PSSL_SECRET_KEY (32 random bytes in base64, the same on every server) to manage D4 sensors",
    );
  }
  const file = join(config.dataDir, "secret.key");
  try {
    const key = Buffer.from((await readFile(file, "utf8")).trim(), "base64");
    if (key.length === 32) return key;
    throw new Error(`${file} does not hold 32 bytes in base64`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = randomBytes(32);
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}
