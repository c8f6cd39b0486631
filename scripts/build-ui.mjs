#!/usr/bin/env node
/**
 * Builds the web pages' client (ui/) into dist/ui/: one minified ES module (app.js) bundled by esbuild
 * from ui/src/main.ts, and one style sheet (app.css). The server serves these two files under /ui/assets/;
 * nothing is fetched from anywhere else. Plain JavaScript so `npm run build` needs no TypeScript runner.
 *
 *   node scripts/build-ui.mjs [--out dir]     (default dist/ui)
 */
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outFlag = process.argv.indexOf("--out");
const outDir = outFlag >= 0 ? resolve(process.argv[outFlag + 1]) : join(root, "dist", "ui");
mkdirSync(outDir, { recursive: true });

await build({
  entryPoints: { app: join(root, "ui", "src", "main.ts"), "app-style": join(root, "ui", "app.css") },
  outdir: outDir,
  entryNames: "[name]",
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  legalComments: "none",
  logLevel: "warning",
});
