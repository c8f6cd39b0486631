/**
 * The deployment files, checked as far as they can be without Docker or systemd running:
 * docker/compose.yaml, docker/Dockerfile (and .dockerignore), deploy/pdns-pssl.service — and, above
 * all, that what the image runs works from a production-only install: the sources compiled into a
 * temporary folder, `npm ci` there with the Dockerfile's own runtime install command (no dev
 * dependencies, no install scripts), then `node dist/cli.js serve` with the image's settings, probed
 * on /healthz and /readyz and with the Dockerfile's own HEALTHCHECK command.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const run = promisify(execFile);

// ---- Dockerfile ---------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions (continuation lines joined, comments dropped), grouped by stage. */
function dockerStages(text: string): { from: string; name: string | undefined; body: Instruction[] }[] {
  const args = new Map<string, string>();
  const stages: { from: string; name: string | undefined; body: Instruction[] }[] = [];
  const logical = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const line of logical) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === "ARG" && stages.length === 0) {
      const [name, value = ""] = rest.split("=", 2);
      if (name) args.set(name, value);
    } else if (upper === "FROM") {
      const [image = "", , name] = rest.split(/\s+/);
      stages.push({
        from: image.replace(/\$\{(\w+)\}/g, (_, n: string) => args.get(n) ?? ""),
        name,
        body: [],
      });
    } else {
      stages.at(-1)?.body.push({ keyword: upper, args: rest.replace(/\s+/g, " ") });
    }
  }
  return stages;
}

const dockerfile = dockerStages(read("docker/Dockerfile"));
const buildStage = dockerfile[0];
const runtimeStage = dockerfile.at(-1);
const runtime = (keyword: string) => runtimeStage?.body.filter((i) => i.keyword === keyword) ?? [];

/** The exec-form JSON array of a CMD or HEALTHCHECK ... CMD instruction. */
function execForm(args: string): string[] {
  return JSON.parse(args.slice(args.indexOf("["))) as string[];
}

/** The runtime stage's `npm ci ...` command, as the image runs it. */
function runtimeInstallCommand(): string[] {
  for (const { args } of runtime("RUN")) {
    const match = /npm ci[^&;]*/.exec(args);
    if (match) return match[0].trim().split(/\s+/);
  }
  throw new Error("the runtime stage runs no npm ci");
}

describe("docker/Dockerfile", () => {
  it("builds in one stage and runs from node:20-bookworm-slim in another", () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    expect(runtimeStage?.from).toBe("node:20-bookworm-slim");
    const buildRuns = buildStage?.body.filter((i) => i.keyword === "RUN").map((i) => i.args) ?? [];
    expect(buildRuns.some((r) => r.startsWith("npm ci"))).toBe(true);
    expect(buildRuns).toContain("npm run build");
  });

  it("installs production dependencies only, without install scripts (`prepare` would need dev ones)", () => {
    const command = runtimeInstallCommand();
    expect(command.slice(0, 2)).toEqual(["npm", "ci"]);
    expect(command).toContain("--omit=dev");
    expect(command).toContain("--ignore-scripts");
    expect(runtime("COPY").some((i) => /--from=build\S* \/src\/dist \.\/dist$/.test(i.args))).toBe(true);
  });

  it("runs as a non-root user, with its data in a /data volume, and the image's settings", () => {
    const users = runtime("USER").map((i) => i.args.split(":")[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
    expect(runtime("VOLUME").map((i) => i.args)).toContain("/data");
    const env = runtime("ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toContain("PDNS_PSSL_DATA_DIR=/data");
    expect(env).toContain("PDNS_PSSL_LISTEN=0.0.0.0:8080");
    expect(env).toContain("PDNS_PSSL_OPS_LISTEN=0.0.0.0:9090");
    const ports = runtime("EXPOSE").flatMap((i) => i.args.split(" "));
    expect(ports).toEqual(expect.arrayContaining(["8080", "9090", "4443"]));
    const cmd = runtime("CMD");
    expect(cmd.length).toBe(1);
    expect(execForm(cmd[0]?.args ?? "")).toEqual(["node", "dist/cli.js", "serve"]);
  });

  it("has a HEALTHCHECK with node (no curl in the slim image) on /healthz", () => {
    const checks = runtime("HEALTHCHECK");
    expect(checks.length).toBe(1);
    const command = execForm(checks[0]?.args ?? "");
    expect(command[0]).toBe("node");
    expect(command.join(" ")).toContain("/healthz");
  });

  it("copies only what exists and what .dockerignore lets into the build context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    for (const ignore of ["node_modules", "dist", ".git", "data"]) expect(ignored).toContain(ignore);
    const sources = dockerfile
      .flatMap((stage) => stage.body)
      .filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))
      .flatMap((i) => i.args.split(" ").slice(0, -1))
      .filter((source) => !source.startsWith("--"));
    expect(sources).toEqual(expect.arrayContaining(["package.json", "package-lock.json", "src"]));
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
  });
});

// ---- compose.yaml -------------------------------------------------------------------------------

type Compose = {
  services: Record<string, Record<string, unknown> & { environment?: Record<string, string> }>;
  volumes?: Record<string, unknown>;
};

describe("docker/compose.yaml", () => {
  const compose = parseYaml(read("docker/compose.yaml")) as Compose;
  const kvrocks = compose.services.kvrocks;
  const server = compose.services["pdns-pssl"];

  it("runs pdns-pssl and Kvrocks, both restarted when they stop", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["kvrocks", "pdns-pssl"]);
    expect(kvrocks?.image).toMatch(/^apache\/kvrocks(:|$)/);
    expect(kvrocks?.restart).toBe("unless-stopped");
    expect(server?.restart).toBe("unless-stopped");
    expect(server?.build).toEqual({ context: "..", dockerfile: "docker/Dockerfile" });
  });

  it("keeps Kvrocks's data in a volume and checks its health with a PING", () => {
    expect(kvrocks?.volumes).toContain("kvrocks-data:/var/lib/kvrocks");
    expect(compose.volumes).toHaveProperty("kvrocks-data");
    const check = kvrocks?.healthcheck as { test: string[] };
    expect(check.test.join(" ")).toMatch(/redis-cli -p 6666 ping/i);
    expect(kvrocks?.ports).toBeUndefined();
  });

  it("starts the server once Kvrocks is healthy, on it, with the secret key from an env file", () => {
    expect(server?.depends_on).toEqual({ kvrocks: { condition: "service_healthy" } });
    expect(server?.environment?.PDNS_PSSL_STORE).toBe("redis://kvrocks:6666");
    expect(server?.env_file).toEqual(["pdns-pssl.env"]);
    expect(read("docker/pdns-pssl.env.example")).toMatch(/^PDNS_PSSL_SECRET_KEY=/m);
    expect(server?.ports).toEqual(["127.0.0.1:8080:8080", "4443:4443"]);
    expect(server?.volumes).toContain("pdns-pssl-data:/data");
  });
});

// ---- systemd unit -------------------------------------------------------------------------------

describe("deploy/pdns-pssl.service", () => {
  const text = read("deploy/pdns-pssl.service");
  const service = new Map<string, string[]>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("[")) section = line;
    else if (section === "[Service]") {
      const at = line.indexOf("=");
      const key = line.slice(0, at);
      service.set(key, [...(service.get(key) ?? []), line.slice(at + 1)]);
    }
  }
  const one = (key: string) => service.get(key)?.at(-1);

  it("runs the server as an unprivileged user with its state directory and environment file", () => {
    expect(one("DynamicUser") === "yes" || (one("User") !== undefined && one("User") !== "root")).toBe(true);
    expect(one("StateDirectory")).toBe("pdns-pssl");
    expect(one("EnvironmentFile")).toBe("/etc/pdns-pssl/env");
    expect(one("ExecStart")).toBe("/usr/bin/node /opt/pdns-pssl/dist/cli.js serve");
    expect(one("Restart")).toBe("on-failure");
  });

  it("is hardened, with writable-executable memory allowed for V8's JIT", () => {
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ProtectHome")).toBe("yes");
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("PrivateTmp")).toBe("yes");
    expect(one("PrivateDevices")).toBe("yes");
    expect(one("CapabilityBoundingSet")).toBe("");
    expect(one("RestrictAddressFamilies")).toBe("AF_INET AF_INET6 AF_UNIX");
    expect(one("MemoryDenyWriteExecute")).toBe("no");
  });

  it.skipIf(!existsSync("/usr/bin/systemd-analyze") || !existsSync("/usr/bin/node"))(
    "passes systemd-analyze verify",
    async () => {
      const { stdout, stderr } = await run("systemd-analyze", [
        "verify",
        join(ROOT, "deploy/pdns-pssl.service"),
      ]);
      expect(`${stdout}${stderr}`.trim()).toBe("");
    },
  );
});

// ---- what the image runs, from a production-only install ----------------------------------------

/** Runs a command to completion; rejects with its output when it fails. */
async function runIn(cwd: string, command: string, args: string[], timeoutMs: number): Promise<void> {
  try {
    await run(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** Resolves with the first match of `pattern` in what the process writes on stderr. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before ${pattern}:\n${seen}`));
    });
  });
}

describe("the image's command from a production-only install", () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let exited: Promise<number | null> | undefined;
  let httpPort = 0;
  let d4Port = 0;
  let opsPort = 0;
  /** The image's environment, on loopback instead of 0.0.0.0. */
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pp-deploy-"));
    // What the build stage does (`npm run build`: tsc with tsconfig.build.json, then the Lua scripts
    // copied beside the compiled store), into the temporary folder.
    await runIn(
      ROOT,
      process.execPath,
      [
        join(ROOT, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        join(dir, "dist"),
      ],
      60_000,
    );
    cpSync(join(ROOT, "src/store/lua"), join(dir, "dist/store/lua"), { recursive: true });
    // ...and the web pages' bundle (scripts/build-ui.mjs, the last step of npm run build).
    await runIn(
      ROOT,
      process.execPath,
      [join(ROOT, "scripts/build-ui.mjs"), "--out", join(dir, "dist/ui")],
      60_000,
    );
    // What the runtime stage does: the two package files, then its own install command.
    cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
    cpSync(join(ROOT, "package-lock.json"), join(dir, "package-lock.json"));
    const [npm = "npm", ...install] = runtimeInstallCommand();
    await runIn(dir, npm, [...install, "--prefer-offline", "--no-audit", "--no-fund"], 90_000);

    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PDNS_PSSL_")));
    Object.assign(env, {
      NODE_ENV: "production",
      PDNS_PSSL_DATA_DIR: join(dir, "data"),
      PDNS_PSSL_LISTEN: "127.0.0.1:0",
      PDNS_PSSL_OPS_LISTEN: "127.0.0.1:0",
      PDNS_PSSL_D4_LISTEN: "127.0.0.1:0",
    });
    const [node, ...args] = execForm(runtime("CMD")[0]?.args ?? "");
    expect(node).toBe("node");
    const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    server = child;
    exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    const d4 = waitForLine(child, /D4 sensor endpoint listening on 127\.0\.0\.1:(\d+)/, 30_000);
    const ops = waitForLine(child, /operations \(health, metrics\) on http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
    httpPort = Number((await waitForLine(child, /listening on http:\/\/127\.0\.0\.1:(\d+)/, 30_000))[1]);
    d4Port = Number((await d4)[1]);
    opsPort = Number((await ops)[1]);
  }, 180_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("has no dev dependency installed (so nothing imports one by accident)", () => {
    const installed = readdirSync(join(dir, "node_modules"));
    const pkg = JSON.parse(read("package.json")) as { devDependencies: Record<string, string> };
    for (const dev of Object.keys(pkg.devDependencies)) {
      const top = dev.split("/")[0] ?? dev;
      if (dev.startsWith("@")) {
        const scoped = existsSync(join(dir, "node_modules", top))
          ? readdirSync(join(dir, "node_modules", top))
          : [];
        expect(scoped, dev).not.toContain(dev.split("/")[1]);
      } else expect(installed, dev).not.toContain(dev);
    }
    expect(installed).toContain("lmdb");
  });

  it("answers /healthz and /readyz on the operations port (the embedded LMDB store, prebuilt binary loaded without scripts)", async () => {
    const health = await fetch(`http://127.0.0.1:${opsPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    // On the API port they need an admin's credential.
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(401);
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok" });
  });

  it("serves the web pages and their bundle from dist/ui", async () => {
    const page = await fetch(`http://127.0.0.1:${httpPort}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("/ui/assets/app.js");
    for (const asset of ["app.js", "app-style.css"]) {
      const file = await fetch(`http://127.0.0.1:${httpPort}/ui/assets/${asset}`);
      expect(file.status, asset).toBe(200);
      expect((await file.arrayBuffer()).byteLength, asset).toBeGreaterThan(1000);
    }
  });

  it("serves the D4 endpoint over TLS with a self-signed certificate made in the data dir", async () => {
    const peer = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: "127.0.0.1", port: d4Port, rejectUnauthorized: false }, () => {
        const subject = socket.getPeerCertificate().subject?.CN ?? "";
        socket.destroy();
        resolve(String(subject));
      });
      socket.once("error", reject);
    });
    expect(peer).toBe("pdns-pssl D4 endpoint");
    expect(existsSync(join(dir, "data", "d4-cert.pem"))).toBe(true);
  });

  it("runs CLI commands on the same store, and hot-backs it up with deploy/pdns-pssl-backup", async () => {
    const cli = (args: string[], dataDir: string) =>
      run(process.execPath, ["dist/cli.js", ...args], {
        cwd: dir,
        env: { ...env, PDNS_PSSL_DATA_DIR: dataDir },
      });
    await cli(["users", "add", "root", "--role", "admin"], join(dir, "data"));
    // While the server runs (and holds the store open), as `docker compose exec` would.
    const backup = join(dir, "backup");
    await runIn(dir, "sh", [join(ROOT, "deploy/pdns-pssl-backup"), join(dir, "data"), backup, dir], 30_000);
    expect(readdirSync(backup).sort()).toEqual(["d4-cert.pem", "d4-key.pem", "data.mdb", "secret.key"]);
    expect(readFileSync(join(backup, "secret.key"))).toEqual(readFileSync(join(dir, "data", "secret.key")));
    const { stdout } = await cli(["users", "list", "--json"], backup);
    expect(stdout).toContain('"root"');
    // A second run refuses to overwrite a backup.
    await expect(
      runIn(dir, "sh", [join(ROOT, "deploy/pdns-pssl-backup"), join(dir, "data"), backup, dir], 30_000),
    ).rejects.toThrow(/already exists/);
  });

  it("passes the Dockerfile's HEALTHCHECK command, stops cleanly on SIGTERM, then fails the check", async () => {
    const [node, ...args] = execForm(runtime("HEALTHCHECK")[0]?.args ?? "");
    expect(node).toBe("node");
    const check = () =>
      run(process.execPath, args, {
        env: { ...env, PDNS_PSSL_OPS_LISTEN: `127.0.0.1:${opsPort}` },
        timeout: 10_000,
      }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    expect(await check()).toBe(0);
    server?.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await check()).toBe(1);
  });
});
