import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/quiet-log.ts"],
    // The web pages' bundle (dist/ui), built once before any test file: the servers under test serve it.
    globalSetup: ["test/setup/build-ui.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Redis-backed suites share one server; keep files from racing on CPU-heavy setup.
    fileParallelism: true,
    pool: "forks",
  },
});
