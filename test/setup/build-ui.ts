/**
 * Builds the web pages' bundle into dist/ui once per test run (esbuild, well under a second), as
 * `npm run build` does: the servers the tests start serve /ui/assets/ from there.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function buildUi(): void {
  const script = fileURLToPath(new URL("../../scripts/build-ui.mjs", import.meta.url));
  execFileSync(process.execPath, [script], { stdio: "inherit" });
}
