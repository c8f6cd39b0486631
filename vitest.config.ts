import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/quiet-log.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Redis-backed suites share one server; keep files from racing on CPU-heavy setup.
    fileParallelism: true,
    pool: "forks",
  },
});
