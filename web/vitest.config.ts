import { defineConfig } from "vitest/config";

// Browser tests: the production build served by the real server, driven in Debian's Chromium.
export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts"],
    globalSetup: ["./e2e/setup.ts"],
    // The suites share one server and its data: one file at a time.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
